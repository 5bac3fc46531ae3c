/**
 * The `warren` command and the embedding API: port 0 works and the bound port is logged; --help
 * and --version answer; a bad option exits non-zero with a one-line message; startBroker gives a
 * working url and closes cleanly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';
import { BUILT_CLI as CLI } from '../helpers/built-cli.js';

describe('warren CLI', () => {
  it('runs `server --port 0`, logs the bound port, and serves AMQP on it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-cli-'));
    const child = spawn(process.execPath, [CLI, 'server', '--port', '0', '--data-dir', dataDir, '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        const onData = (chunk: Buffer): void => {
          out += chunk.toString();
          const m = /AMQP listening on port (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`warren exited with ${code}: ${out}`)));
      });
      expect(port).toBeGreaterThan(0);
      const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
      const ch = await conn.createChannel();
      const q = await ch.assertQueue('', { exclusive: true });
      expect(q.queue).toMatch(/^amq\.gen-/);
      await conn.close();
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answers --version and --help', () => {
    const version = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = spawnSync(process.execPath, [CLI, 'server', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const option of ['--port', '--management-port', '--data-dir', '--config', '--log-level']) {
      expect(help.stdout).toContain(option);
    }
  });

  it('refuses a bad option value with a one-line message and a non-zero exit', () => {
    const r = spawnSync(process.execPath, [CLI, 'server', '--port', 'nope'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('must be a port number');
  });
});

describe('startBroker (embedding API)', () => {
  it('starts on port 0, serves amqplib at broker.url, and closes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-embed-'));
    const broker = await startBroker({ port: 0, dataDir, logLevel: 'warn' });
    try {
      expect(broker.url).toBe(`amqp://guest:guest@127.0.0.1:${broker.port}`);
      const conn = await amqp.connect(broker.url);
      const ch = await conn.createChannel();
      await ch.assertQueue('embedded');
      ch.sendToQueue('embedded', Buffer.from('hi'));
      const got = await new Promise<string>((resolve, reject) => {
        ch.consume('embedded', (m) => m && resolve(m.content.toString())).catch(reject);
      });
      expect(got).toBe('hi');
      await conn.close();
    } finally {
      await broker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Closed: the port no longer accepts AMQP connections.
    await expect(amqp.connect(broker.url)).rejects.toThrow();
  });
});
