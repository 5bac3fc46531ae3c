/**
 * /api/nodes, /api/nodes/{node}, /api/extensions, the health checks and
 * /api/aliveness-test/{vhost}: RabbitMQ 3.10's fields, 200 {"status":"ok"} and 503
 * {"status":"failed", ...}, and 400s for bad parameters. Checked against RabbitMQ 3.10 with
 * WARREN_TEST_MGMT_URL; the alarm tests raise alarms only on the in-process broker.
 */
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api, cleanup } = tm;

const amqpPort = (): number => Number(new URL(tm.amqpBase).port);

describe('nodes', () => {
  it('lists the node with the fields exporters read', async () => {
    const r = await api.get('/api/nodes');
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(1);
    const n = r.body[0];
    expect(n).toMatchObject({ type: 'disc', running: true, partitions: [], mem_alarm: false, disk_free_alarm: false });
    for (const k of ['uptime', 'mem_used', 'mem_limit', 'disk_free', 'disk_free_limit', 'fd_used', 'fd_total', 'sockets_used', 'sockets_total', 'proc_used', 'proc_total', 'run_queue', 'processors']) {
      expect([k, typeof n[k]]).toEqual([k, 'number']);
    }
    expect(typeof n.name).toBe('string');
    expect(n.os_pid).toMatch(/^\d+$/);
    expect(n.exchange_types.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['direct', 'fanout', 'headers', 'topic']));
    const one = await api.get(`/api/nodes/${seg(n.name)}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ name: n.name, type: 'disc', running: true });
    // RabbitMQ answers an unknown node with a 500 (its RPC fails); Warren with 404.
    if (!tm.external) expect((await api.get('/api/nodes/nobody@nowhere')).status).toBe(404);
    expect((await api.get('/api/nodes?columns=name,running')).body).toEqual([{ name: n.name, running: true }]);
  });

  it('is for monitors: 401 for a management user', async () => {
    const name = cleanup.user(uniqueName('nodes-mgmt'));
    await api.mustPut(`/api/users/${seg(name)}`, { password: 'pw', tags: 'management' });
    const r = await api.as(name, 'pw').get('/api/nodes');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'not_authorised', reason: 'Not monitor user' });
  });

  it('answers /api/extensions with a list', async () => {
    const r = await api.get('/api/extensions');
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(true);
  });
});

describe('health checks', () => {
  it('is ok without alarms, with every vhost up and one node', async () => {
    for (const p of ['alarms', 'local-alarms', 'virtual-hosts']) {
      const r = await api.get(`/api/health/checks/${p}`);
      expect([p, r.status, r.body]).toEqual([p, 200, { status: 'ok' }]);
    }
    for (const p of ['node-is-quorum-critical', 'node-is-mirror-sync-critical']) {
      expect((await api.get(`/api/health/checks/${p}`)).body).toEqual({ status: 'ok', reason: 'single node cluster' });
    }
  });

  it('checks a port listener: ok, 503 with the ports, 400 for a bad port', async () => {
    expect((await api.get(`/api/health/checks/port-listener/${amqpPort()}`)).body).toEqual({ status: 'ok', port: amqpPort() });
    const missing = await api.get('/api/health/checks/port-listener/1');
    expect(missing.status).toBe(503);
    expect(missing.body).toMatchObject({ status: 'failed', reason: 'No active listener', missing: 1 });
    expect(missing.body.ports).toContain(amqpPort());
    expect((await api.get('/api/health/checks/port-listener/abc')).body).toEqual({ error: 'bad_request', reason: 'Invalid port' });
  });

  it('checks a protocol listener, by RabbitMQ protocol aliases', async () => {
    for (const p of ['amqp', 'AMQP091', 'amqp0-9-1', 'management']) {
      const r = await api.get(`/api/health/checks/protocol-listener/${p}`);
      expect([p, r.status, r.body.status]).toEqual([p, 200, 'ok']);
    }
    expect((await api.get('/api/health/checks/protocol-listener/amqp0.9.1')).body).toEqual({ status: 'ok', protocol: 'amqp' });
    const missing = await api.get('/api/health/checks/protocol-listener/foo');
    expect(missing.status).toBe(503);
    expect(missing.body).toMatchObject({ status: 'failed', reason: 'No active listener', missing: 'foo' });
    expect(missing.body.protocols).toEqual(expect.arrayContaining(['amqp', 'http']));
  });

  it('reports raised alarms with 503 and RabbitMQ resource names', async () => {
    const broker = tm.broker;
    if (broker === undefined) return; // alarms are not raised on a shared RabbitMQ
    const alarms = broker.broker.alarms;
    const watermark = alarms.memoryHighWatermark;
    alarms.setMemoryHighWatermark(2); // two bytes (above 1 it is bytes): raised at once
    try {
      const r = await api.get('/api/health/checks/local-alarms');
      expect(r.status).toBe(503);
      expect(r.body).toEqual({ status: 'failed', reason: 'There are alarms in effect on the node', alarms: [{ resource: 'memory', node: expect.any(String) }] });
      expect((await api.get('/api/health/checks/alarms')).body.reason).toBe('There are alarms in effect in the cluster');
      expect((await api.get('/api/nodes')).body[0].mem_alarm).toBe(true);
    } finally {
      alarms.setMemoryHighWatermark(watermark);
    }
    expect((await api.get('/api/health/checks/alarms')).status).toBe(200);
  });
});

describe('aliveness test', () => {
  it('declares, publishes and gets through the broker: {"status":"ok"}', async () => {
    const vhost = cleanup.vhost(uniqueName('alive'));
    await api.mustPut(`/api/vhosts/${seg(vhost)}`);
    const r = await api.get(`/api/aliveness-test/${seg(vhost)}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok' });
    // The queue stays, empty (the test message was taken with no ack).
    const q = await api.get(`/api/queues/${seg(vhost)}/aliveness-test`);
    if (q.status !== 404 || tm.external) {
      expect(q.status).toBe(200);
      expect(q.body.name).toBe('aliveness-test');
    }
    expect((await api.get('/api/aliveness-test/%2F')).body).toEqual({ status: 'ok' });
    expect((await api.get(`/api/aliveness-test/${seg(uniqueName('nope'))}`)).status).toBe(404);
  });

  it('runs as the caller: 401 without permissions on the vhost', async () => {
    const vhost = cleanup.vhost(uniqueName('alive-perm'));
    await api.mustPut(`/api/vhosts/${seg(vhost)}`);
    const name = cleanup.user(uniqueName('alive-user'));
    await api.mustPut(`/api/users/${seg(name)}`, { password: 'pw', tags: 'management' });
    const r = await api.as(name, 'pw').get(`/api/aliveness-test/${seg(vhost)}`);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'not_authorised', reason: 'User not authorised to access virtual host' });
  });
});
