/**
 * `warren server` as a child process, run from source through tsx (no `npm run build`, never a
 * stale dist/), with its output collected, waits on that output with a deadline, signals by pid,
 * and a stop that always ends the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CLI = join(import.meta.dirname, '../../src/cli/index.ts');
/** tsx's loader by absolute URL, so the child may run in any cwd. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const DEADLINE_MS = 15_000;

export class WarrenProcess {
  readonly child: ChildProcess;
  private out = '';

  /** Starts `warren <args>` in `cwd`; the environment is the test's without WARREN_* variables, plus `env`. */
  constructor(args: string[], options: { cwd: string; env?: Record<string, string> }) {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('WARREN_')) env[name] = value;
    this.child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: options.cwd,
      env: { ...env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.out += chunk.toString()));
  }

  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves on the first output after which `test` gives a value; fails if the child exits first or on the deadline. */
  until<T>(test: () => T | undefined): Promise<T> {
    const child = this.child;
    return new Promise<T>((done, fail) => {
      const timer = setTimeout(() => finish(new Error(`no answer within ${DEADLINE_MS} ms: ${this.out}`)), DEADLINE_MS);
      const check = (): void => {
        const result = test();
        if (result !== undefined) finish(undefined, result);
      };
      const onExit = (): void => {
        check();
        finish(new Error(`warren exited with ${child.exitCode ?? child.signalCode}: ${this.out}`));
      };
      const finish = (err: Error | undefined, result?: T): void => {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        child.off('exit', onExit);
        if (err === undefined) done(result as T);
        else fail(err);
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.once('exit', onExit);
      if (!this.running) onExit();
      else check();
    });
  }

  /** The first match of `pattern` in the output (waits for it); counts only matches after `from` characters. */
  waitFor(pattern: RegExp, from = 0): Promise<RegExpExecArray> {
    return this.until(() => pattern.exec(this.out.slice(from)) ?? undefined);
  }

  /** Waits for the process to exit: its code and output. */
  exited(): Promise<{ code: number | null; output: string }> {
    return this.until(() => (this.running ? undefined : { code: this.child.exitCode, output: this.out }));
  }

  signal(name: NodeJS.Signals): void {
    if (this.child.pid !== undefined && this.running) process.kill(this.child.pid, name);
  }

  /** SIGTERM, then SIGKILL if it has not exited within the deadline. */
  async stop(): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    const pid = this.child.pid;
    const gone = new Promise((done) => this.child.once('exit', done));
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => this.running && process.kill(pid, 'SIGKILL'), DEADLINE_MS);
    await gone;
    clearTimeout(timer);
  }
}

/**
 * Runs `warren server --port 0 --data-dir <dataDir> --log-level info <args>` until it logs its AMQP
 * port, hands the running process to `use` (its output so far is `output`), then stops it.
 */
export async function whileServing<T>(dataDir: string, args: string[], use: (w: WarrenProcess) => Promise<T>): Promise<T> {
  const w = new WarrenProcess(['server', '--port', '0', '--data-dir', dataDir, '--log-level', 'info', ...args], { cwd: process.cwd() });
  try {
    await w.waitFor(/AMQP listening on port \d+/);
    return await use(w);
  } finally {
    await w.stop();
  }
}
