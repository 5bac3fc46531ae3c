/**
 * Confirmed-publish throughput of a three-node cluster as a ratio to a single node, in the same
 * run (issue 12: target at least 0.5). Each broker is a child process of the built CLI; the
 * workload is amqplib publishers with confirms, 1 KB persistent messages to a durable queue, a
 * window of outstanding confirms per publisher, and one consumer acking, so the queue stays short.
 * Rounds alternate single and cluster; medians are printed with the ratio.
 *
 *   npm run build && npx tsx test/bench/cluster-throughput.ts [seconds=10] [rounds=3] [publishers=4] [window=500]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { agreedLeader, freePort, poll, startCluster, type Cluster, type ClusterNodeProcess } from '../cluster/cluster-harness.js';
import { BUILT_CLI as CLI } from '../helpers/built-cli.js';

const [seconds = 10, rounds = 3, publishers = 4, window = 500] = process.argv.slice(2).map(Number);
const BODY = Buffer.alloc(1024, 120);

/** Confirmed messages per second through `url` over `seconds` (after a 2 s warm-up). */
async function measure(url: string, queue: string): Promise<number> {
  const setup = await amqp.connect(url);
  const sch = await setup.createChannel();
  await sch.assertQueue(queue, { durable: true });
  await sch.prefetch(1000);
  await sch.consume(queue, (m) => m !== null && sch.ack(m), { noAck: false });
  let confirmed = 0;
  let stop = false;
  const conns = await Promise.all(Array.from({ length: publishers }, () => amqp.connect(url)));
  const loops = conns.map(async (c) => {
    const ch = await c.createConfirmChannel();
    let outstanding = 0;
    let wake: (() => void) | null = null;
    while (!stop) {
      if (outstanding >= window) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      outstanding++;
      ch.sendToQueue(queue, BODY, { persistent: true }, () => {
        outstanding--;
        confirmed++;
        const w = wake;
        wake = null;
        w?.();
      });
      if (outstanding % 50 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    await ch.waitForConfirms().catch(() => undefined);
  });
  await new Promise((r) => setTimeout(r, 2000));
  const from = confirmed;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const rate = ((confirmed - from) * 1000) / (Date.now() - t0);
  stop = true;
  await Promise.all(loops);
  for (const c of conns) await c.close().catch(() => undefined);
  await setup.close().catch(() => undefined);
  return rate;
}

async function single(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-single-'));
  const host = '127.0.0.21';
  const port = await freePort(host);
  const config = { host, port, managementPort: await freePort(host), prometheusPort: await freePort(host), dataDir: './data', logLevel: 'warn' };
  await writeFile(join(dir, 'c.json'), JSON.stringify(config));
  const child = spawn(process.execPath, [CLI, 'server', '--config', 'c.json'], { cwd: dir, stdio: 'ignore' });
  try {
    const url = `amqp://guest:guest@${host}:${port}`;
    await poll('the single node up', 15_000, () => amqp.connect(url).then((c) => c.close().then(() => true)));
    return await measure(url, 'bench');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

async function clustered(): Promise<number> {
  const cluster: Cluster = await startCluster(3000);
  try {
    const lead = await poll('a leader', 30_000, () => agreedLeader(cluster.nodes), 200);
    const leader = cluster.nodes.find((n) => n.spec.id === lead.leader) as ClusterNodeProcess;
    await poll('all three in sync', 30_000, async () => {
      const v = (await leader.get('/api/warren/cluster')) as { isr?: { members: string[] } } | null;
      return v?.isr?.members.length === 3 ? true : undefined;
    });
    return await measure(leader.url, 'bench');
  } finally {
    await cluster.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const one: number[] = [];
const three: number[] = [];
for (let r = 0; r < rounds; r++) {
  one.push(await single());
  three.push(await clustered());
  console.log(`round ${r + 1}: single ${one[r]?.toFixed(0)} msg/s, 3-node cluster ${three[r]?.toFixed(0)} msg/s`);
}
const ratio = median(three) / median(one);
console.log(`\nconfirmed publishes, 1 KB persistent, ${publishers} publishers x ${window} outstanding, ${seconds} s, medians of ${rounds}:`);
console.log(`| single node | 3-node cluster (leader) | ratio |\n|---|---|---|\n| ${median(one).toFixed(0)} | ${median(three).toFixed(0)} | ${ratio.toFixed(2)} |`);
