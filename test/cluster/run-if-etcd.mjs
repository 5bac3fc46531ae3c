// `npm test`'s last step (dist/ is built by then): the cluster suite needs etcd (Debian's
// etcd-server, which .ci/run installs); without /usr/bin/etcd it is skipped, and says so.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('/usr/bin/etcd')) {
  console.log('test:cluster skipped: /usr/bin/etcd is not installed (apt-get install etcd-server)');
  process.exit(0);
}
const run = spawnSync('npx', ['vitest', 'run', 'test/cluster'], { stdio: 'inherit' });
process.exit(run.status ?? 1);
