#!/usr/bin/env -S node --initial-old-space-size=128
import { Command, InvalidArgumentError } from 'commander';
// Types only: the broker is loaded by `server` (below), so `warren ctl` starts without it (~0.4 s of CPU).
import type { BrokerOptions, RunningBroker, TlsOptions } from '../main.js';
import type { RunningClusterNode } from '../cluster/start-cluster-node.js';
import { LOG_LEVELS } from '../util/logger.js';
import { WARREN_VERSION } from '../server/handshake.js';
import { resolveConfig } from './config.js';
import { CONFIG_KEYS, envName, fromText, TLS_FIELDS, valueFromText, type ConfigKey } from './config-keys.js';
import { registerCtl } from './ctl/index.js';

/** Flags that set a config key; the option name is the key. */
const FLAG_KEYS = ['port', 'managementPort', 'management', 'prometheusPort', 'prometheus', 'dataDir', 'logLevel', 'definitions'] as const satisfies readonly ConfigKey[];

/** Flags that set a field of `tls`: option name -> field. Each flag overrides that field only. */
const TLS_FLAGS = {
  tlsPort: 'port',
  tlsManagementPort: 'managementPort',
  tlsCert: 'cert',
  tlsKey: 'key',
  tlsCa: 'ca',
  tlsVerifyPeer: 'verifyPeer',
  tlsFailIfNoPeerCert: 'failIfNoPeerCert',
} as const satisfies Record<string, keyof TlsOptions>;

/** Parses and checks a flag's text with the same rule as the file and the environment. */
function flag(key: ConfigKey): (text: string) => unknown {
  return (text) => {
    const value = fromText(key, text);
    const reason = CONFIG_KEYS[key].check(value);
    if (reason !== undefined) throw new InvalidArgumentError(reason);
    return value;
  };
}

/** The same for a --tls-* flag that takes a value. */
function tlsFlag(field: keyof TlsOptions): (text: string) => unknown {
  return (text) => {
    const spec = TLS_FIELDS[field];
    const value = valueFromText(spec, text);
    const reason = spec.check(value);
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
snake case; numbers, queueMemoryBudget, tls and cluster are JSON:
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
  .option('--prometheus-port <port>', 'Prometheus metrics port (GET /metrics); 0 picks a free one (default 15692)', flag('prometheusPort'))
  .option('--no-prometheus', 'do not serve Prometheus metrics')
  .option('--data-dir <dir>', 'data directory (default ./data)', flag('dataDir'))
  .option('--config <file>', 'JSON config file; keys are the camelCase option names (see README)')
  .option('--definitions <file>', "definitions file (or directory of them) imported at boot, as RabbitMQ's load_definitions", flag('definitions'))
  .option('--log-level <level>', `${Object.keys(LOG_LEVELS).join(', ')} (default info)`, flag('logLevel'))
  .option('--tls-port <port>', 'AMQPS port, when a certificate is configured; 0 picks a free one (default 5671)', tlsFlag('port'))
  .option('--tls-management-port <port>', 'HTTPS port of the management API, when a certificate is configured (default 15671)', tlsFlag('managementPort'))
  .option('--tls-cert <file>', 'AMQPS: server certificate, PEM', tlsFlag('cert'))
  .option('--tls-key <file>', 'AMQPS: server private key, PEM', tlsFlag('key'))
  .option('--tls-ca <file>', 'AMQPS: CA certificates that client certificates are verified against, PEM', tlsFlag('ca'))
  .option('--tls-verify-peer', 'AMQPS: ask for a client certificate and refuse one that does not verify')
  .option('--tls-fail-if-no-peer-cert', 'AMQPS, with --tls-verify-peer: refuse clients without a certificate')
  .addHelpText('after', ENV_HELP)
  .action(async (opts: Record<string, unknown>, cmd: Command) => {
    try {
      const flags: Record<string, unknown> = {};
      for (const key of FLAG_KEYS) if (cmd.getOptionValueSource(key) === 'cli') flags[key] = opts[key];
      const tls: Record<string, unknown> = {};
      for (const [option, field] of Object.entries(TLS_FLAGS)) if (cmd.getOptionValueSource(option) === 'cli') tls[field] = opts[option];
      if (Object.keys(tls).length > 0) flags['tls'] = tls;
      const options = await resolveConfig({
        file: typeof opts['config'] === 'string' ? opts['config'] : undefined,
        env: process.env,
        flags: flags as BrokerOptions,
        warn: (line) => process.stderr.write(`warren: ${line}\n`),
      });
      // SIGHUP re-reads the TLS certificate, key and CA; connections stay up. Without TLS it is
      // ignored. Handled from before the broker logs that it listens, so no SIGHUP kills it.
      let running: RunningBroker | RunningClusterNode | undefined = undefined;
      process.on('SIGHUP', () => void running?.reloadTls());
      // Clustered, the node starts as a follower and runs a broker only while it leads.
      const broker =
        options.cluster?.enabled === true
          ? await (await import('../cluster/start-cluster-node.js')).startClusterNode(options)
          : await (await import('../main.js')).startBroker(options);
      running = broker;
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

registerCtl(program);

await program.parseAsync(process.argv);
