/**
 * `warren ctl cluster_status` and `transfer_leadership` on a single node, spawned against the
 * management API: the status is a cluster of one, as rabbitmqctl prints it; a leadership transfer
 * is refused with a clear error and exit code 70 (as rabbitmqctl's cluster verbs refuse). The
 * cluster side is in test/cluster/tls-proxy.test.ts. Needs `npm run build`. Runs against RabbitMQ
 * too (WARREN_TEST_MGMT_URL, see test/helpers/management.ts).
 */
import { describe, expect, it } from 'vitest';
import { ctlFor } from '../helpers/ctl.js';
import { managementSuite } from '../helpers/management.js';

const SLOW = { timeout: 30_000 };

const tm = managementSuite();
const ctl = ctlFor(tm);

describe('warren ctl cluster verbs on a single node', () => {
  it('cluster_status shows a cluster of one: its name, the node as disk and running node', SLOW, async () => {
    const overview = (await tm.api.get('/api/overview')).body as { node: string; cluster_name: string };
    const text = await ctl(['cluster_status']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        `Cluster status of node ${overview.node} ...`,
        'Basics',
        '',
        `Cluster name: ${overview.cluster_name}`,
        '',
        'Disk Nodes',
        '',
        overview.node,
        '',
        'Running Nodes',
        '',
        overview.node,
        '',
      ].join('\n'),
    );
    const quiet = await ctl(['cluster_status', '-q']);
    expect(quiet.stdout.split('\n')[0]).toBe('Basics');
    const json = await ctl(['cluster_status', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      node: overview.node,
      cluster_name: overview.cluster_name,
      disk_nodes: [overview.node],
      running_nodes: [overview.node],
      clustered: false,
    });
  });

  it('transfer_leadership is refused with a clear error and exit code 70', SLOW, async () => {
    const out = await ctl(['transfer_leadership']);
    expect(out.code).toBe(70);
    expect(out.stdout).toBe('Transferring the cluster leadership to another in-sync node ...\n');
    // Warren says the node is not clustered; RabbitMQ has no such endpoint at all.
    expect(out.stderr).toMatch(/^Error:\ncannot transfer leadership: (this node is not clustered|the node at \S+ has no cluster API \(not a clustered Warren node\))\n$/);
    if (!tm.external) expect(out.stderr).toBe('Error:\ncannot transfer leadership: this node is not clustered\n');
  });

  it('cluster_status of an unreachable node exits 69', SLOW, async () => {
    const out = await ctl(['--url', 'http://127.0.0.1:1', 'cluster_status']);
    expect(out.code).toBe(69);
    expect(out.stderr).toMatch(/^Error:\nunable to reach the management API at http:\/\/127\.0\.0\.1:1/);
  });
});
