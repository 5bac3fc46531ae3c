#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { startBroker } from '../main.js';
import { LOG_LEVELS, type LogLevel } from '../util/logger.js';
import { WARREN_VERSION } from '../server/handshake.js';
import { loadConfigFile } from './config.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function level(value: string): LogLevel {
  if (!(value in LOG_LEVELS)) throw new InvalidArgumentError(`must be one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  return value as LogLevel;
}

const program = new Command();
program.name('warren').description('Warren: a RabbitMQ-compatible AMQP 0-9-1 broker').version(WARREN_VERSION);

program
  .command('server')
  .description('run the broker')
  .option('-p, --port <port>', 'AMQP port (0 picks a free one)', port, 5672)
  .option('--management-port <port>', 'management HTTP port', port, 15672)
  .option('--data-dir <dir>', 'data directory', './data')
  .option('--config <file>', 'JSON config file (keys as the options, camelCase)')
  .option('--log-level <level>', 'trace, debug, info, warn, error or silent', level, 'info' as LogLevel)
  .action(async (opts: { port: number; managementPort: number; dataDir: string; config?: string; logLevel: LogLevel }) => {
    try {
      const fromFile = opts.config !== undefined ? await loadConfigFile(opts.config) : {};
      const broker = await startBroker({
        ...fromFile,
        port: opts.port,
        managementPort: opts.managementPort,
        dataDir: opts.dataDir,
        logLevel: opts.logLevel,
      });
      const stop = (): void => {
        void broker.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (err) {
      process.stderr.write(`warren: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
  });

await program.parseAsync(process.argv);
