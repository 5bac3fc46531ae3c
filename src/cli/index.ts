#!/usr/bin/env -S node --initial-old-space-size=128
import { Command, InvalidArgumentError } from 'commander';
import { startBroker, type BrokerOptions } from '../main.js';
import { LOG_LEVELS } from '../util/logger.js';
import { WARREN_VERSION } from '../server/handshake.js';
import { resolveConfig } from './config.js';
import { CONFIG_KEYS, envName, fromText, type ConfigKey } from './config-keys.js';

/** Flags that set a config key; the option name is the key. */
const FLAG_KEYS = ['port', 'managementPort', 'management', 'dataDir', 'logLevel'] as const satisfies readonly ConfigKey[];

/** Parses and checks a flag's text with the same rule as the file and the environment. */
function flag(key: ConfigKey): (text: string) => unknown {
  return (text) => {
    const value = fromText(key, text);
    const reason = CONFIG_KEYS[key].check(value);
    if (reason !== undefined) throw new InvalidArgumentError(reason);
    return value;
  };
}

/** Lines of at most `width` characters from comma-separated words. */
function wrap(words: string[], width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && indent.length + line.length + word.length + 2 > width) {
      lines.push(indent + line + ',');
      line = '';
    }
    line += (line === '' ? '' : ', ') + word;
  }
  return [...lines, indent + line].join('\n');
}

const ENV_HELP = `
Settings, lowest to highest precedence: built-in defaults, the --config file, environment
variables, flags given here. Each config key has a variable, WARREN_ and the key in upper
snake case; numbers and queueMemoryBudget are JSON:
${wrap((Object.keys(CONFIG_KEYS) as ConfigKey[]).map(envName), 80, '  ')}
`;

const program = new Command();
program.name('warren').description('Warren: a RabbitMQ-compatible AMQP 0-9-1 broker').version(WARREN_VERSION);

// No defaults on these options: a default would mask the config file and the environment.
program
  .command('server')
  .description('run the broker')
  .option('-p, --port <port>', 'AMQP port; 0 picks a free one (default 5672)', flag('port'))
  .option('--management-port <port>', 'management HTTP API port; 0 picks a free one (default 15672)', flag('managementPort'))
  .option('--no-management', 'do not serve the management HTTP API')
  .option('--data-dir <dir>', 'data directory (default ./data)', flag('dataDir'))
  .option('--config <file>', 'JSON config file; keys are the camelCase option names (see README)')
  .option('--log-level <level>', `${Object.keys(LOG_LEVELS).join(', ')} (default info)`, flag('logLevel'))
  .addHelpText('after', ENV_HELP)
  .action(async (opts: Record<string, unknown>, cmd: Command) => {
    try {
      const flags: Record<string, unknown> = {};
      for (const key of FLAG_KEYS) if (cmd.getOptionValueSource(key) === 'cli') flags[key] = opts[key];
      const options = await resolveConfig({
        file: typeof opts['config'] === 'string' ? opts['config'] : undefined,
        env: process.env,
        flags: flags as BrokerOptions,
        warn: (line) => process.stderr.write(`warren: ${line}\n`),
      });
      const broker = await startBroker(options);
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
