/**
 * The Prometheus listener's life in Warren: startBroker starts it on its own port (a free one
 * when AMQP's is 0) and lists it in /api/overview as RabbitMQ does (`http/prometheus`); a taken
 * port fails the start cleanly; `--prometheus-port` and `--no-prometheus` from the CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { scrape } from '../helpers/prometheus.js';
import { whileServing } from '../helpers/warren-cli.js';

const dirs: string[] = [];
const brokers: RunningBroker[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warren-prom-server-'));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the CLI with `args` until it logs its AMQP port: everything it logged by then, and */
/** `served`: whether the logged Prometheus port answered /metrics before the process stopped. */
const cliOutput = (args: string[]): Promise<{ out: string; served: boolean }> =>
  whileServing(tempDir(), ['--no-management', ...args], async (w) => {
    const out = w.output;
    const m = /Prometheus metrics: HTTP \(non-TLS\) listener started on port (\d+)/.exec(out);
    const served = m === null ? false : (await scrape(`http://127.0.0.1:${m[1]}`)).has('rabbitmq_identity_info');
    return { out, served };
  });

describe('Prometheus listener', () => {
  it('starts with the broker on a free port when AMQP is on port 0, and is listed in /api/overview', async () => {
    const b = await startBroker({ port: 0, dataDir: tempDir(), logLevel: 'warn' });
    brokers.push(b);
    expect(b.prometheusPort).toBeGreaterThan(0);
    expect(b.prometheusUrl).toBe(`http://127.0.0.1:${b.prometheusPort}`);
    expect((await scrape(b.prometheusUrl as string)).get('rabbitmq_queues')?.type).toBe('gauge');
    const res = await fetch(`${b.managementUrl}/api/overview`, { headers: { authorization: `Basic ${btoa('guest:guest')}` } });
    const listeners = ((await res.json()) as { listeners: { protocol: string; port: number }[] }).listeners;
    expect(listeners).toContainEqual(expect.objectContaining({ protocol: 'http/prometheus', port: b.prometheusPort }));
    await b.close();
    await expect(fetch(b.prometheusUrl as string)).rejects.toThrow();
  });

  it('serves without the management API, and fails the start cleanly on a taken port', async () => {
    const b = await startBroker({ port: 0, dataDir: tempDir(), logLevel: 'warn', management: false });
    brokers.push(b);
    expect(b.managementUrl).toBeUndefined();
    expect((await scrape(b.prometheusUrl as string)).has('rabbitmq_identity_info')).toBe(true);
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
    try {
      const port = (busy.address() as { port: number }).port;
      await expect(startBroker({ port: 0, prometheusPort: port, host: '127.0.0.1', dataDir: tempDir(), logLevel: 'silent' })).rejects.toThrow(/EADDRINUSE/);
      // The failed start released its data directory: another broker may use it at once.
      const again = await startBroker({ port: 0, dataDir: dirs[dirs.length - 1] as string, logLevel: 'silent' });
      brokers.push(again);
    } finally {
      await new Promise((done) => busy.close(done));
    }
  });

  it('takes --prometheus-port from the CLI, logs the bound port, and --no-prometheus turns it off', async () => {
    const on = await cliOutput(['--prometheus-port', '0']);
    expect(on.out).toMatch(/Prometheus metrics: HTTP \(non-TLS\) listener started on port \d+/);
    expect(on.served).toBe(true);
    const off = await cliOutput(['--no-prometheus']);
    expect(off.out).not.toContain('Prometheus metrics');
  });
});
