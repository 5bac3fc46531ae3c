/**
 * /api/health/checks/ready-to-serve-clients, RabbitMQ 3.11+'s readiness probe (3.10 answers 404,
 * so this file runs against Warren only): 200 {"status":"ok"} while the node takes AMQP
 * connections, 503 with RabbitMQ's reason and the connection count once the node's connection
 * limit (maxConnections, RabbitMQ's connection_max) is reached, and ok again when one closes.
 */
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/broker.js';
import { managementSuite } from '../helpers/management.js';

const tm = managementSuite({ maxConnections: 1 });
const PATH = '/api/health/checks/ready-to-serve-clients';

describe.skipIf(tm.external)('ready-to-serve-clients', () => {
  it('is ok until the node connection limit is reached, and again when a connection closes', async () => {
    expect(await tm.api.get(PATH)).toMatchObject({ status: 200, body: { status: 'ok' } });
    const conn = await amqp.connect(tm.amqpUrl('guest', 'guest'));
    try {
      const full = await tm.api.get(PATH);
      expect([full.status, full.body]).toEqual([503, { status: 'failed', reason: 'node connection limit is reached', connections: 1 }]);
    } finally {
      await conn.close();
    }
    await waitFor(async () => (await tm.api.get(PATH)).status === 200, 10_000, 50);
  });
});
