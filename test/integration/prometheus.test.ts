/**
 * The Prometheus endpoint (issue 11): RabbitMQ 3.10's metric names, types, help texts and labels
 * on /metrics, /metrics/per-object and /metrics/detailed, with values that follow what amqplib
 * does over real TCP.
 *
 * The tests marked `both` also run against RabbitMQ (its queue and channel metrics are refreshed
 * every few seconds, hence the polls):
 *   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5672 WARREN_TEST_PROM_URL=http://127.0.0.1:15692 \
 *     npx vitest run test/integration/prometheus.test.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { uniqueName, waitFor } from '../helpers/broker.js';
import { parseExposition, scrape, valueOf, type Exposition } from '../helpers/prometheus.js';

const externalProm = process.env['WARREN_TEST_PROM_URL'];
const external = externalProm !== undefined && externalProm !== '';
const warrenOnly = external ? it.skip : it;

let broker: RunningBroker | undefined;
let dataDir = '';
let promUrl = '';
let amqpUrl = '';
let conn: ChannelModel;
let ch: ConfirmChannel;

beforeAll(async () => {
  if (external) {
    promUrl = externalProm;
    amqpUrl = process.env['WARREN_TEST_URL'] || 'amqp://guest:guest@127.0.0.1:5672';
  } else {
    dataDir = await mkdtemp(join(tmpdir(), 'warren-prom-test-'));
    broker = await startBroker({ port: 0, dataDir, logLevel: 'warn' });
    promUrl = broker.prometheusUrl as string;
    amqpUrl = broker.url;
  }
  conn = await amqp.connect(amqpUrl);
  ch = await conn.createConfirmChannel();
});

afterAll(async () => {
  await conn?.close().catch(() => {});
  await broker?.close();
  if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
});

/** [name, type, help] of families as rabbitmq_prometheus 3.10.8 emits them on /metrics. */
const RABBITMQ_FAMILIES: [string, string, string][] = [
  ['rabbitmq_queue_messages', 'gauge', 'Sum of ready and unacknowledged messages - total queue depth'],
  ['rabbitmq_queue_messages_ready', 'gauge', 'Messages ready to be delivered to consumers'],
  ['rabbitmq_queue_messages_unacked', 'gauge', 'Messages delivered to consumers but not yet acknowledged'],
  ['rabbitmq_queue_consumers', 'gauge', 'Consumers on a queue'],
  ['rabbitmq_connections', 'gauge', 'Connections currently open'],
  ['rabbitmq_channels', 'gauge', 'Channels currently open'],
  ['rabbitmq_consumers', 'gauge', 'Consumers currently connected'],
  ['rabbitmq_queues', 'gauge', 'Queues available'],
  ['rabbitmq_channel_messages_published_total', 'counter', 'Total number of messages published into an exchange on a channel'],
  ['rabbitmq_channel_messages_confirmed_total', 'counter', 'Total number of messages published into an exchange and confirmed on the channel'],
  ['rabbitmq_channel_messages_delivered_ack_total', 'counter', 'Total number of messages delivered to consumers in manual acknowledgement mode'],
  ['rabbitmq_channel_messages_acked_total', 'counter', 'Total number of messages acknowledged by consumers'],
  ['rabbitmq_channel_messages_redelivered_total', 'counter', 'Total number of messages redelivered to consumers'],
  ['rabbitmq_global_messages_received_total', 'counter', 'Total number of messages received from publishers'],
  ['rabbitmq_global_messages_delivered_total', 'counter', 'Total number of messages delivered to consumers'],
  ['rabbitmq_global_messages_confirmed_total', 'counter', 'Total number of messages confirmed to publishers'],
  ['rabbitmq_global_messages_routed_total', 'counter', 'Total number of messages routed to queues or streams'],
  ['rabbitmq_global_messages_unroutable_returned_total', 'counter', 'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable'],
  ['rabbitmq_global_publishers', 'gauge', 'Current number of publishers'],
  ['rabbitmq_global_consumers', 'gauge', 'Current number of consumers'],
  ['rabbitmq_connections_opened_total', 'counter', 'Total number of connections opened'],
  ['rabbitmq_connections_closed_total', 'counter', 'Total number of connections closed or terminated'],
  ['rabbitmq_channels_opened_total', 'counter', 'Total number of channels opened'],
  ['rabbitmq_queues_declared_total', 'counter', 'Total number of queues declared'],
  ['rabbitmq_queues_created_total', 'counter', 'Total number of queues created'],
  ['rabbitmq_queues_deleted_total', 'counter', 'Total number of queues deleted'],
  ['rabbitmq_process_resident_memory_bytes', 'gauge', 'Memory used in bytes'],
  ['rabbitmq_resident_memory_limit_bytes', 'gauge', 'Memory high watermark in bytes'],
  ['rabbitmq_disk_space_available_bytes', 'gauge', 'Disk space available in bytes'],
  ['rabbitmq_process_open_fds', 'gauge', 'Open file descriptors'],
  ['rabbitmq_identity_info', 'untyped', 'RabbitMQ node & cluster identity info'],
  ['rabbitmq_build_info', 'untyped', 'RabbitMQ & Erlang/OTP version info'],
  ['rabbitmq_alarms_memory_used_watermark', 'untyped', 'is 1 if VM memory watermark alarm is in effect'],
  ['rabbitmq_alarms_free_disk_space_watermark', 'untyped', 'is 1 if free disk space watermark alarm is in effect'],
];

const total = (m: Exposition, name: string, labels: Record<string, string> = {}): number => {
  const f = m.get(name);
  if (f === undefined) throw new Error(`no family ${name}`);
  return f.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
};

describe('GET /metrics (aggregated)', () => {
  it('has RabbitMQ 3.10 names, types and help texts, unlabelled except the global counters (both)', async () => {
    const m = await scrape(promUrl);
    for (const [name, type, help] of RABBITMQ_FAMILIES) {
      expect(m.get(name), name).toMatchObject({ type, help });
    }
    for (const name of ['rabbitmq_queue_messages', 'rabbitmq_connections', 'rabbitmq_channel_messages_published_total']) {
      expect(m.get(name)?.samples.map((s) => s.labels), name).toEqual([{}]);
    }
    expect(m.get('rabbitmq_global_messages_received_total')?.samples.map((s) => s.labels)).toEqual([{ protocol: 'amqp091' }]);
    // Scrape telemetry: summaries without quantiles, per registry.
    await scrape(promUrl);
    const t = await scrape(promUrl);
    expect(t.get('telemetry_scrape_duration_seconds')).toMatchObject({ type: 'summary', help: 'Scrape duration' });
    expect(t.get('telemetry_scrape_size_bytes')?.samples.find((s) => s.name === 'telemetry_scrape_size_bytes_count')?.labels).toEqual({
      registry: 'default',
      content_type: 'text/plain; version=0.0.4',
    });
    expect(t.get('telemetry_scrape_encoded_size_bytes')?.samples.some((s) => s.labels['encoding'] === 'gzip')).toBe(true); // fetch asks for gzip
    const byType = m.get('rabbitmq_global_messages_delivered_total')?.samples.map((s) => s.labels);
    expect(byType).toEqual(
      ['rabbit_classic_queue', 'rabbit_quorum_queue', 'rabbit_stream_queue'].map((queue_type) => ({ protocol: 'amqp091', queue_type })),
    );
  });

  it('has one rabbitmq_identity_info with rabbitmq_node and rabbitmq_cluster, for the dashboards\' join (both)', async () => {
    const m = await scrape(promUrl);
    const samples = m.get('rabbitmq_identity_info')?.samples ?? [];
    expect(samples).toHaveLength(1);
    const labels = samples[0]?.labels ?? {};
    expect(labels['rabbitmq_node']).toMatch(/^[^@]+@.+$/);
    expect(labels['rabbitmq_cluster']).toBeTruthy();
    expect(samples[0]?.value).toBe(1);
    expect(m.get('rabbitmq_build_info')?.samples[0]?.labels['rabbitmq_version']).toMatch(/^3\.10\./);
  });

  warrenOnly('names the node and cluster as the management API does', async () => {
    const m = await scrape(promUrl);
    const overview = (await (await fetch(`${broker?.managementUrl}/api/overview`, { headers: { authorization: `Basic ${btoa('guest:guest')}` } })).json()) as {
      node: string;
      cluster_name: string;
    };
    expect(m.get('rabbitmq_identity_info')?.samples[0]?.labels).toEqual({ rabbitmq_node: overview.node, rabbitmq_cluster: overview.cluster_name });
  });

  it('counts publishes, confirms, deliveries and acks exactly, and shows the queue depth (both)', async () => {
    const q = uniqueName('prom-q');
    await ch.assertQueue(q, { durable: false });
    const N = 7;
    const before = await scrape(promUrl);
    for (let i = 0; i < N; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    const published = await waitFor(async () => {
      const m = await scrape(promUrl);
      return total(m, 'rabbitmq_channel_messages_published_total') - total(before, 'rabbitmq_channel_messages_published_total') >= N ? m : null;
    }, 15_000, 100);
    expect(total(published, 'rabbitmq_channel_messages_published_total') - total(before, 'rabbitmq_channel_messages_published_total')).toBe(N);
    expect(total(published, 'rabbitmq_global_messages_received_total') - total(before, 'rabbitmq_global_messages_received_total')).toBe(N);
    expect(total(published, 'rabbitmq_global_messages_confirmed_total') - total(before, 'rabbitmq_global_messages_confirmed_total')).toBe(N);
    expect(total(published, 'rabbitmq_global_messages_received_confirm_total') - total(before, 'rabbitmq_global_messages_received_confirm_total')).toBe(N);
    expect(total(published, 'rabbitmq_global_messages_routed_total') - total(before, 'rabbitmq_global_messages_routed_total')).toBe(N);
    await waitFor(async () => valueOf(await scrape(promUrl, '/metrics/per-object'), 'rabbitmq_queue_messages', { queue: q }) === N, 15_000, 100);

    // Consume with prefetch 3 and manual acks: 3 delivered and unacked. Ack 2: the window refills,
    // so 5 delivered, 2 acked, 3 unacked, 2 ready.
    const sub = await conn.createChannel();
    await sub.prefetch(3);
    const got: amqp.ConsumeMessage[] = [];
    await sub.consume(q, (msg) => msg !== null && got.push(msg));
    await waitFor(() => got.length === 3);
    const delta = (m: Exposition, name: string, labels: Record<string, string> = {}): number => total(m, name, labels) - total(before, name, labels);
    const delivered = await waitFor(async () => {
      const m = await scrape(promUrl);
      return delta(m, 'rabbitmq_global_messages_delivered_total') >= 3 ? m : null;
    }, 15_000, 100);
    expect(delta(delivered, 'rabbitmq_global_messages_delivered_total')).toBe(3);
    expect(delta(delivered, 'rabbitmq_global_messages_delivered_consume_manual_ack_total')).toBe(3);
    sub.ack(got[0] as amqp.ConsumeMessage);
    sub.ack(got[1] as amqp.ConsumeMessage);
    await waitFor(() => got.length === 5);
    const after = await waitFor(async () => {
      const m = await scrape(promUrl);
      return delta(m, 'rabbitmq_global_messages_acknowledged_total') >= 2 ? m : null;
    }, 15_000, 100);
    expect(delta(after, 'rabbitmq_global_messages_acknowledged_total', { queue_type: 'rabbit_classic_queue' })).toBe(2);
    expect(delta(after, 'rabbitmq_global_messages_delivered_total')).toBe(5);
    const perObject = await waitFor(async () => {
      const m = await scrape(promUrl, '/metrics/per-object');
      return valueOf(m, 'rabbitmq_queue_messages_ready', { queue: q }) === 2 ? m : null;
    }, 15_000, 100);
    expect(valueOf(perObject, 'rabbitmq_queue_messages_unacked', { vhost: '/', queue: q })).toBe(3);
    expect(valueOf(perObject, 'rabbitmq_queue_messages', { vhost: '/', queue: q })).toBe(5);
    expect(valueOf(perObject, 'rabbitmq_queue_consumers', { vhost: '/', queue: q })).toBe(1);
    await sub.close();
    await ch.deleteQueue(q);
  });

  it('counts AMQP logins that succeed and fail, by protocol (both)', async () => {
    const before = await scrape(promUrl);
    const ok = await amqp.connect(amqpUrl);
    await ok.close();
    const bad = new URL(amqpUrl);
    bad.password = 'wrong-password';
    await expect(amqp.connect(bad.toString())).rejects.toThrow(/ACCESS_REFUSED|403/);
    const m = await scrape(promUrl);
    const amqp091 = { protocol: 'amqp091' };
    const delta = (name: string): number => total(m, name, amqp091) - total(before, name, amqp091);
    expect(m.get('rabbitmq_auth_attempts_total')).toMatchObject({ type: 'counter', help: 'Total number of authorization attempts' });
    expect(delta('rabbitmq_auth_attempts_total')).toBe(2);
    expect(delta('rabbitmq_auth_attempts_succeeded_total')).toBe(1);
    expect(delta('rabbitmq_auth_attempts_failed_total')).toBe(1);
  });

  warrenOnly('counts connections, channels and queues opened, closed, declared, created and deleted', async () => {
    const before = await scrape(promUrl);
    const c = await amqp.connect(amqpUrl);
    const x = await c.createChannel();
    const q = uniqueName('prom-churn');
    await x.assertQueue(q, { durable: false });
    await x.assertQueue(q, { durable: false });
    await x.deleteQueue(q);
    await c.close();
    const m = await scrape(promUrl);
    const delta = (name: string): number => total(m, name) - total(before, name);
    expect(delta('rabbitmq_connections_opened_total')).toBe(1);
    expect(delta('rabbitmq_connections_closed_total')).toBe(1);
    expect(delta('rabbitmq_channels_opened_total')).toBe(1);
    expect(delta('rabbitmq_channels_closed_total')).toBe(1);
    expect(delta('rabbitmq_queues_declared_total')).toBe(2);
    expect(delta('rabbitmq_queues_created_total')).toBe(1);
    expect(delta('rabbitmq_queues_deleted_total')).toBe(1);
  });

  warrenOnly('keeps global counters of deleted queues and closed channels, counts publishers and adds Node process metrics', async () => {
    const start = await scrape(promUrl);
    const confirming = await conn.createConfirmChannel();
    for (let i = 0; i < 3; i++) confirming.publish('amq.fanout', '', Buffer.from('c'));
    await confirming.waitForConfirms();
    const open = await scrape(promUrl);
    await confirming.close();
    const closed = await scrape(promUrl);
    const receivedConfirm = (m: Exposition): number => total(m, 'rabbitmq_global_messages_received_confirm_total') - total(start, 'rabbitmq_global_messages_received_confirm_total');
    expect(receivedConfirm(open)).toBe(3);
    expect(receivedConfirm(closed)).toBe(3);
    const q = uniqueName('prom-gone');
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('x'));
    await ch.waitForConfirms();
    expect(await ch.get(q, { noAck: true })).not.toBe(false);
    const before = await scrape(promUrl);
    await ch.deleteQueue(q);
    const m = await scrape(promUrl);
    expect(total(m, 'rabbitmq_global_messages_delivered_get_auto_ack_total')).toBe(total(before, 'rabbitmq_global_messages_delivered_get_auto_ack_total'));
    expect(valueOf(m, 'rabbitmq_global_publishers')).toBeGreaterThanOrEqual(1);
    expect(m.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(m.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
  });

  warrenOnly('answers gzip when asked, 404 elsewhere and 405 to anything but GET', async () => {
    const res = await fetch(`${promUrl}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const plain = parseExposition(await res.text()); // fetch inflates gzip itself
    expect(plain.has('rabbitmq_queues')).toBe(true);
    const raw = await new Promise<Buffer>((resolve, reject) => {
      get(`${promUrl}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        expect(r.headers['content-encoding']).toBe('gzip');
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
      }).on('error', reject);
    });
    expect(gunzipSync(raw).toString()).toContain('# TYPE rabbitmq_queues gauge');
    expect((await fetch(`${promUrl}/metrics/nope`)).status).toBe(404);
    expect((await fetch(`${promUrl}/`)).status).toBe(404);
    expect((await fetch(`${promUrl}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('GET /metrics/per-object', () => {
  it('has one series per queue labelled vhost and queue, and channel metrics labelled channel (both)', async () => {
    const q1 = uniqueName('prom-po');
    const q2 = uniqueName('prom-po');
    await ch.assertQueue(q1, { durable: false });
    await ch.assertQueue(q2, { durable: false });
    ch.sendToQueue(q2, Buffer.from('a'));
    ch.sendToQueue(q2, Buffer.from('b'));
    await ch.waitForConfirms();
    const m = await waitFor(async () => {
      const x = await scrape(promUrl, '/metrics/per-object');
      return valueOf(x, 'rabbitmq_queue_messages_ready', { queue: q2 }) === 2 ? x : null;
    }, 15_000, 100);
    expect(valueOf(m, 'rabbitmq_queue_messages_ready', { vhost: '/', queue: q1 })).toBe(0);
    const mine = m.get('rabbitmq_queue_messages_ready')?.samples.filter((s) => s.labels['queue'] === q1 || s.labels['queue'] === q2);
    expect(mine?.map((s) => s.labels).sort((a, b) => ((a['queue'] ?? '') < (b['queue'] ?? '') ? -1 : 1))).toEqual([
      { vhost: '/', queue: q1 },
      { vhost: '/', queue: q2 },
    ]);
    for (const s of m.get('rabbitmq_channel_consumers')?.samples ?? []) expect(Object.keys(s.labels)).toEqual(['channel']);
    expect(m.get('rabbitmq_channel_consumers')?.samples.length).toBeGreaterThanOrEqual(1);
    expect(m.get('rabbitmq_queues')?.samples).toEqual([{ name: 'rabbitmq_queues', labels: {}, value: expect.any(Number) }]);
    await ch.deleteQueue(q1);
    await ch.deleteQueue(q2);
  });

  warrenOnly('names channels and connections as the management API does', async () => {
    const m = await scrape(promUrl, '/metrics/per-object');
    const channels = m.get('rabbitmq_channel_consumers')?.samples.map((s) => s.labels['channel']) ?? [];
    expect(channels.every((name) => /^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ \(\d+\)$/.test(name ?? ''))).toBe(true);
    expect(m.get('rabbitmq_connection_channels')?.samples[0]?.labels['channel']).toMatch(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
  });
});

describe('GET /metrics/detailed', () => {
  it('serves only the families asked for, prefixed rabbitmq_detailed_, queues of the vhosts asked for (both)', async () => {
    const q = uniqueName('prom-det');
    await ch.assertQueue(q, { durable: false });
    ch.sendToQueue(q, Buffer.from('a'));
    await ch.waitForConfirms();
    const path = '/metrics/detailed?family=queue_coarse_metrics&family=queue_metrics&family=no_such_family&vhost=%2F';
    const m = await waitFor(async () => {
      const x = await scrape(promUrl, path);
      return valueOf(x, 'rabbitmq_detailed_queue_messages_ready', { queue: q }) === 1 ? x : null;
    }, 15_000, 100);
    expect(m.get('rabbitmq_detailed_queue_messages')).toMatchObject({ type: 'gauge', help: 'Sum of ready and unacknowledged messages - total queue depth' });
    expect(valueOf(m, 'rabbitmq_detailed_queue_consumers', { vhost: '/', queue: q })).toBe(0);
    const names = [...m.keys()].filter((n) => n.startsWith('rabbitmq_'));
    expect(names.every((n) => n.startsWith('rabbitmq_detailed_queue_') || n === 'rabbitmq_build_info' || n === 'rabbitmq_identity_info')).toBe(true);
    expect(m.has('rabbitmq_queue_messages')).toBe(false);
    expect(m.has('rabbitmq_detailed_connections_opened_total')).toBe(false);
    // Another vhost's filter leaves the queue out.
    const other = await scrape(promUrl, '/metrics/detailed?family=queue_coarse_metrics&vhost=no-such-vhost');
    expect(other.get('rabbitmq_detailed_queue_messages')?.samples ?? []).toEqual([]);
    await ch.deleteQueue(q);
  });

  it('serves the cluster families and nothing but identity without a family (both)', async () => {
    const m = await scrape(promUrl, '/metrics/detailed?family=vhost_status&family=exchange_names&family=connection_churn_metrics');
    expect(valueOf(m, 'rabbitmq_cluster_vhost_status', { vhost: '/' })).toBe(1);
    expect(m.get('rabbitmq_cluster_exchange_name')?.samples.find((s) => s.labels['exchange'] === 'amq.direct' && s.labels['vhost'] === '/')?.labels).toEqual({
      vhost: '/',
      exchange: 'amq.direct',
      type: 'direct',
    });
    expect(m.get('rabbitmq_detailed_connections_opened_total')?.type).toBe('counter');
    const bare = await scrape(promUrl, '/metrics/detailed');
    expect([...bare.keys()].filter((n) => n.startsWith('rabbitmq_')).sort()).toEqual(['rabbitmq_build_info', 'rabbitmq_identity_info']);
  });
});

describe('brokers side by side', () => {
  warrenOnly('keep their metrics apart, and the endpoint can be turned off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warren-prom-test-'));
    const other = await startBroker({ port: 0, dataDir: dir, logLevel: 'warn' });
    const off = await startBroker({ port: 0, dataDir: `${dir}-off`, logLevel: 'warn', prometheus: false });
    try {
      expect(off.prometheusUrl).toBeUndefined();
      expect(other.prometheusPort).not.toBe(broker?.prometheusPort);
      const q = uniqueName('prom-other');
      const c = await amqp.connect(other.url);
      const x = await c.createChannel();
      await x.assertQueue(q);
      const mine = await scrape(other.prometheusUrl as string, '/metrics/per-object');
      const theirs = await scrape(promUrl, '/metrics/per-object');
      expect(valueOf(mine, 'rabbitmq_queue_messages', { queue: q })).toBe(0);
      expect(valueOf(theirs, 'rabbitmq_queue_messages', { queue: q })).toBeUndefined();
      await c.close();
    } finally {
      await other.close();
      await off.close();
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}-off`, { recursive: true, force: true });
    }
  });
});
