/**
 * What every `warren ctl` verb gets: the API client, the output and the global options
 * (--url, --user, --password, -p, -t, -q, --json, --no-table-headers), and the wrapper that turns
 * a verb's failure into rabbitmqctl's "Error:" lines on stderr and its exit code.
 */
import type { Command } from 'commander';
import { CtlClient, CtlError, EXIT } from './client.js';
import { Output } from './output.js';

export const DEFAULT_URL = 'http://localhost:15672';
/** rabbitmqctl's default operation timeout, seconds */
export const DEFAULT_TIMEOUT = 60;

export interface Ctl {
  readonly api: CtlClient;
  readonly out: Output;
  /** -p, default `/` */
  readonly vhost: string;
  /** -t in seconds, and whether it was given (await_startup has its own default) */
  readonly timeout: number;
  readonly timeoutGiven: boolean;
}

interface GlobalOptions {
  url?: string;
  user?: string;
  password?: string;
  vhost?: string;
  timeout?: number;
  quiet?: boolean;
  json?: boolean;
  tableHeaders?: boolean;
}

/** The context from the options given anywhere on the command line, then the environment. */
export function contextOf(cmd: Command, env: NodeJS.ProcessEnv = process.env): Ctl {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const raw = g.url ?? env['WARREN_URL'] ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CtlError(EXIT.usage, `not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CtlError(EXIT.usage, `not an http(s) URL: ${raw}`);
  // Credentials: the flags, then the environment, then the URL's user info, then guest.
  const user = g.user ?? env['WARREN_USER'] ?? (url.username !== '' ? decodeURIComponent(url.username) : 'guest');
  const password = g.password ?? env['WARREN_PASSWORD'] ?? (url.password !== '' ? decodeURIComponent(url.password) : 'guest');
  url.username = '';
  url.password = '';
  const timeout = g.timeout ?? DEFAULT_TIMEOUT;
  const base = url.toString().replace(/\/+$/, '');
  return {
    api: new CtlClient({ url: base, user, password, timeoutMs: timeout * 1000 }),
    out: new Output({ quiet: g.quiet === true, json: g.json === true, headers: g.tableHeaders !== false }),
    vhost: g.vhost ?? '/',
    timeout,
    timeoutGiven: g.timeout !== undefined,
  };
}

/** Prints a failure as rabbitmqctl does and sets the exit code. */
export function report(err: unknown): void {
  if (err instanceof CtlError) {
    process.stderr.write(`Error:\n${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  process.stderr.write(`Error:\n${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = EXIT.software;
}

export type VerbHandler = (ctl: Ctl, args: string[], opts: Record<string, unknown>) => Promise<void>;

/**
 * A commander action running `handler` with the context; positional arguments come as strings
 * (a variadic one spread in). The exit code is set, not exited with, so stdout drains.
 */
export function run(handler: VerbHandler): (...a: unknown[]) => Promise<void> {
  return async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const opts = a[a.length - 2] as Record<string, unknown>;
    const args = a.slice(0, -2).flatMap((v) => (Array.isArray(v) ? (v as string[]) : v === undefined ? [] : [v as string]));
    try {
      await handler(contextOf(cmd), args, opts);
    } catch (err) {
      report(err);
    }
  };
}

/** A JSON argument (a policy definition), or a data error (65). */
export function jsonArgument(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CtlError(EXIT.dataErr, `${what} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
