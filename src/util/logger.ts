/**
 * One logger per module, with a dotted source ('amqp.connection', 'broker.queue').
 * Check `logger.enabled(level)` before building an expensive message.
 */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, silent: 100 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;

let threshold: number = LOG_LEVELS.info;
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

export function setLogLevel(level: LogLevel): void {
  threshold = LOG_LEVELS[level];
}

export function getLogLevel(): LogLevel {
  for (const [name, value] of Object.entries(LOG_LEVELS)) if (value === threshold) return name as LogLevel;
  return 'info';
}

/** Redirect log lines (tests, embedding). */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn;
}

export class Logger {
  constructor(readonly source: string) {}

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS[level] >= threshold;
  }

  trace(msg: string): void {
    if (LOG_LEVELS.trace >= threshold) this.write('trace', msg);
  }
  debug(msg: string): void {
    if (LOG_LEVELS.debug >= threshold) this.write('debug', msg);
  }
  info(msg: string): void {
    if (LOG_LEVELS.info >= threshold) this.write('info', msg);
  }
  warn(msg: string): void {
    if (LOG_LEVELS.warn >= threshold) this.write('warn', msg);
  }
  error(msg: string, err?: unknown): void {
    if (LOG_LEVELS.error >= threshold) {
      const detail = err instanceof Error ? `\n${err.stack ?? err.message}` : err === undefined ? '' : ` ${String(err)}`;
      this.write('error', msg + detail);
    }
  }

  private write(level: LogLevel, msg: string): void {
    sink(`${new Date().toISOString()} [${level}] ${this.source}: ${msg}`);
  }
}

export const logger = (source: string): Logger => new Logger(source);
