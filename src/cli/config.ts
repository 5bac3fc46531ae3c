/**
 * `warren server` settings, lowest to highest precedence: the built-in defaults (startBroker's),
 * the --config JSON file, WARREN_* environment variables, the flags actually given. Every layer
 * is checked in full, even where a higher one overrides it, so a bad file is never hidden.
 */
import { readFile } from 'node:fs/promises';
import type { BrokerOptions, TlsOptions } from '../main.js';
import { tlsSettingsProblem } from '../server/tls-context.js';
import { CONFIG_KEYS, envName, fromText, isConfigKey, type ConfigKey } from './config-keys.js';

/** A bad setting. The message is one line that names the key and where it came from. */
export class ConfigError extends Error {
  readonly code = 'WARREN_BAD_CONFIG';
}

const KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKey[];

/** A value for a one-line message: JSON, cut short. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function checkKey(key: ConfigKey, value: unknown, source: string, shown: unknown = value): void {
  const reason = CONFIG_KEYS[key].check(value);
  if (reason !== undefined) throw new ConfigError(`${source}: '${key}' ${reason}, got ${show(shown)}`);
}

/** Checks every key of a parsed config object; `source` starts each message. */
export function checkConfig(raw: unknown, source: string): BrokerOptions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}: must hold a JSON object, got ${show(raw)}`);
  }
  for (const [key, value] of Object.entries(raw)) {
    if (!isConfigKey(key)) throw new ConfigError(`${source}: unknown key '${key}' (known: ${KEY_NAMES.join(', ')})`);
    checkKey(key, value, source);
  }
  return raw as BrokerOptions;
}

/** Reads and checks a JSON config file whose keys are those of BrokerOptions. */
export async function loadConfigFile(path: string): Promise<BrokerOptions> {
  const source = `config file ${path}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${source}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return checkConfig(parsed, source);
}

/**
 * The settings in WARREN_<KEY> variables (WARREN_PORT, WARREN_DATA_DIR, ...): strings as they are,
 * numbers and queueMemoryBudget as JSON. `ignored` lists WARREN_* names that are no key.
 */
export function configFromEnv(env: Record<string, string | undefined>): { config: BrokerOptions; ignored: string[] } {
  const config: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const key of KEY_NAMES) {
    const name = envName(key);
    known.add(name);
    const text = env[name];
    if (text === undefined) continue;
    const value = fromText(key, text);
    checkKey(key, value, name, text);
    config[key] = value;
  }
  const ignored = Object.keys(env).filter((name) => name.startsWith('WARREN_') && !known.has(name));
  return { config: config as BrokerOptions, ignored };
}

export interface ConfigSources {
  /** --config, if given */
  file: string | undefined;
  env: Record<string, string | undefined>;
  /** only the flags given on the command line, already checked */
  flags: BrokerOptions;
  warn(line: string): void;
}

/**
 * The options for startBroker; keys no layer sets are left to startBroker's defaults. `tls` is
 * merged field by field (a --tls-port flag keeps the files of the config file), then checked whole.
 */
export async function resolveConfig(sources: ConfigSources): Promise<BrokerOptions> {
  const file = sources.file === undefined ? {} : await loadConfigFile(sources.file);
  const { config: env, ignored } = configFromEnv(sources.env);
  for (const name of ignored) sources.warn(`ignoring ${name}: not a setting (see warren server --help)`);
  const options: BrokerOptions = { ...file, ...env, ...sources.flags };
  const layers = [file.tls, env.tls, sources.flags.tls].filter((tls) => tls !== undefined);
  if (layers.length > 0) {
    const tls: Partial<TlsOptions> = Object.assign({}, ...layers) as Partial<TlsOptions>;
    const problem = tlsSettingsProblem(tls);
    if (problem !== undefined) {
      throw new ConfigError(`'tls' ${problem}, got ${show(tls)} (from the config file, WARREN_TLS and --tls-* flags)`);
    }
    options.tls = tls as TlsOptions;
  }
  return options;
}
