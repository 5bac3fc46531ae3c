/**
 * The management listener serving the web UI's files (src/http/ui-static.ts): index.html at `/`
 * with no-cache and a CSP, hashed assets with their content types and a year of caching, 404 for
 * anything else (no way out of the directory), a plain 503 naming `npm run build` when the UI is
 * not built, and the API untouched beside it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ManagementServer } from '../../src/http/server.js';
import { PROPERTIES_CODEC } from '../../src/main.js';
import { setLogLevel } from '../../src/util/logger.js';

const GUEST = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };

describe('web UI files on the management listener', () => {
  let dir: string;
  let broker: Broker;
  let built: ManagementServer;
  let bare: ManagementServer;
  let builtUrl: string;
  let bareUrl: string;

  beforeAll(async () => {
    setLogLevel('warn');
    dir = await mkdtemp(join(tmpdir(), 'warren-ui-static-'));
    await mkdir(join(dir, 'ui', 'assets'), { recursive: true });
    await writeFile(join(dir, 'ui', 'index.html'), '<!doctype html><title>Warren</title>');
    await writeFile(join(dir, 'ui', 'assets', 'index-AbC123.js'), 'console.log(1)');
    await writeFile(join(dir, 'ui', 'assets', 'index-DeF456.css'), 'body{}');
    await writeFile(join(dir, 'secret.txt'), 'not for the web');
    broker = new Broker(PROPERTIES_CODEC);
    built = new ManagementServer(broker, { uiDir: join(dir, 'ui') });
    bare = new ManagementServer(broker, { uiDir: join(dir, 'missing') });
    builtUrl = `http://127.0.0.1:${await built.listen({ port: 0, host: '127.0.0.1' })}`;
    bareUrl = `http://127.0.0.1:${await bare.listen({ port: 0, host: '127.0.0.1' })}`;
  });

  afterAll(async () => {
    await built?.close();
    await bare?.close();
    broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and /index.html, never cached, with a CSP', async () => {
    for (const p of ['/', '/index.html']) {
      const r = await fetch(builtUrl + p);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await r.text()).toContain('<title>Warren</title>');
    }
  });

  it('serves hashed assets with their content types, cached for a year', async () => {
    const js = await fetch(`${builtUrl}/assets/index-AbC123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1)');
    const css = await fetch(`${builtUrl}/assets/index-DeF456.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for missing assets and for paths that climb out of the directory', async () => {
    for (const p of ['/assets/nope-123.js', '/assets/..%2F..%2Fsecret.txt', '/assets/%2e%2e%2fsecret.txt', '/assets/../secret.txt', '/secret.txt', '/assets/index-AbC123.exe']) {
      const r = await fetch(builtUrl + p);
      expect(r.status, p).toBe(404);
      expect(await r.text(), p).not.toContain('not for the web');
    }
  });

  it('answers / with a 503 saying to run npm run build when the UI is not built', async () => {
    const r = await fetch(bareUrl + '/');
    expect(r.status).toBe(503);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await r.text()).toContain('npm run build');
  });

  it('leaves the API as it was: JSON, and RabbitMQ 404s for unknown API paths', async () => {
    const r = await fetch(`${builtUrl}/api/whoami`, { headers: GUEST });
    expect(await r.json()).toEqual({ name: 'guest', tags: ['administrator'] });
    const missing = await fetch(`${builtUrl}/api/no-such-thing`, { headers: GUEST });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
  });
});
