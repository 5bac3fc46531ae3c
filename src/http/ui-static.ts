/**
 * The web UI's files (built by `vite build` into dist/ui), served by the management listener the
 * way RabbitMQ's management plugin serves its priv/www: index.html at `/` (the UI routes with the
 * URL's hash, `#/queues`, so no other page path exists), hashed bundles under `/assets/` cached
 * for a year, and a plain 503 when the UI was not built (running from source).
 */
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** dist/ui of the package: src/http, dist/http and the bundle in dist/bundle are all two levels below the package root. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** Only the UI's own scripts, styles and API calls; no framing (clickjacking). Chart.js sets inline styles. */
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const NOT_BUILT = 'The web UI is not built: run `npm run build` (it writes dist/ui). The HTTP API is at /api.\n';

/** Vite's file names: a name, a content hash, an extension; nothing that could climb out of the directory. */
const ASSET_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.[a-z0-9]+$/;

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw err;
  }
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('Not Found\n');
}

/** Register `/`, `/index.html` and `/assets/:file` for the UI built into `dir`. */
export function registerUi(app: FastifyInstance, dir: string = DEFAULT_UI_DIR): void {
  const index = async (_req: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    const html = await readOrNull(join(dir, 'index.html'));
    if (html === null) return reply.code(503).header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT);
    return reply
      .code(200)
      .header('content-type', CONTENT_TYPES['.html'])
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .send(html);
  };
  app.get('/', index);
  app.get('/index.html', index);
  app.get('/assets/:file', async (req, reply) => {
    const file = (req.params as { file?: string }).file ?? '';
    const type = CONTENT_TYPES[extname(file)];
    if (!ASSET_NAME.test(file) || type === undefined) return notFound(reply);
    const body = await readOrNull(join(dir, 'assets', file));
    if (body === null) return notFound(reply);
    return reply
      .code(200)
      .header('content-type', type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
}
