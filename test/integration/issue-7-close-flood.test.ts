/**
 * Issue 7, bug 4: closing a connection right after a publish flood.
 *
 * amqplib buffers frames per channel and its muxer writes channel 0 first, so a connection.close
 * sent after a flood of publishes reaches the broker before the publishes, which follow it on the
 * wire after close-ok. RabbitMQ sends close-ok and keeps reading (discarding) until the client
 * closes the socket (or a timer fires); a broker that destroys its socket at close-ok makes the kernel reset the
 * connection under the client's remaining writes: EPIPE (callback API) or a close that never
 * completes (promise API).
 *
 * The amqplib clients run in a child process, as a real client would: in the broker's own event
 * loop the client reads close-ok before it writes the rest, and the reset never shows.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../helpers/broker.js';
import { RawClient, methodFrame, short, shortstr } from '../helpers/raw-client.js';

const broker = await startTestBroker();
afterAll(() => broker.close());

const CLIENT = join(import.meta.dirname, '../helpers/flood-close-client.mjs');
const ROUNDS = 20;

/** Run the flood-then-close client in its own process; resolves to its outcome counts. */
function floodClose(api: 'promise' | 'callback'): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT, broker.url, api, String(ROUNDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve((JSON.parse(line) as { outcomes: Record<string, number> }).outcomes);
      } catch {
        reject(new Error(`flood client exited ${code}: ${out}`));
      }
    });
  });
}

describe('issue 7: connection.close after a publish flood', () => {
  it.each(['promise', 'callback'] as const)('amqplib %s API: the close completes cleanly every time', async (api) => {
    expect(await floodClose(api)).toEqual({ [`${api} closed`]: ROUNDS });
  }, 60_000);

  it('after close-ok the broker reads on, discarding, until the client closes (no reset)', async () => {
    const c = await RawClient.open(broker.port);
    try {
      c.sendMethod(0, 10, 50, Buffer.concat([short(200), shortstr('bye'), short(0), short(0)]));
      await c.expectMethod(10, 51);
      // Frames the client had queued before its close still arrive after close-ok; each write
      // waits for the previous one, so a reset from the broker fails a later write.
      const late = methodFrame(1, 60, 40, Buffer.concat([short(0), shortstr(''), shortstr('q'), Buffer.from([0])]));
      const chunk = Buffer.concat(Array.from({ length: 100 }, () => late));
      const failures: string[] = [];
      for (let i = 0; i < 64 && failures.length === 0; i++) {
        const err = await new Promise<NodeJS.ErrnoException | null | undefined>((resolve) => c.socket.write(chunk, resolve));
        if (err) failures.push(`write ${i}: ${err.code ?? err.message}`);
      }
      expect(failures).toEqual([]);
      // Once the client closes its side the broker closes too (RabbitMQ with a reset, Warren with a FIN).
      c.socket.end();
      await c.waitClosed();
    } finally {
      c.destroy();
    }
  });
});
