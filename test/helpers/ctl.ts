/**
 * Runs the built `warren ctl` (dist/bundle/index.js, built by `npm run build`, which `npm test` runs
 * before the integration tests) against a test broker's management API. The child is spawned
 * asynchronously: the in-process broker must keep answering while it runs.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BUILT_CLI as CLI } from './built-cli.js';
import type { TestManagement } from './management.js';

export interface CtlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CtlRunOptions {
  /** written to the child's stdin */
  readonly input?: string;
  /** extra environment (WARREN_URL, ...); the test's own WARREN_* variables are not passed on */
  readonly env?: Record<string, string>;
}

/** `node dist/bundle/index.js ctl ...args` */
export function runCtl(args: readonly string[], options: CtlRunOptions = {}): Promise<CtlResult> {
  if (!existsSync(CLI)) {
    throw new Error('dist/bundle is missing: run `npm run build` first');
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WARREN_') && v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [CLI, 'ctl', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `warren ctl` with --url, --user and --password of the test broker's API. */
export const ctlFor =
  (tm: TestManagement) =>
  (args: readonly string[], options?: CtlRunOptions): Promise<CtlResult> =>
    runCtl(['--url', tm.url, '--user', tm.api.user, '--password', tm.api.password, ...args], options);
