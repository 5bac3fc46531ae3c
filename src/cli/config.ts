import { readFile } from 'node:fs/promises';
import type { BrokerOptions } from '../main.js';

const KEYS = [
  'port',
  'host',
  'managementPort',
  'dataDir',
  'logLevel',
  'maxMessageSize',
  'heartbeat',
  'frameMax',
  'channelMax',
  'memoryHighWatermark',
  'diskFreeLimit',
  'queueMemoryBudget',
  'consumerTimeout',
] as const;

/** Read a JSON config file whose keys are BrokerOptions; unknown keys are an error. */
export async function loadConfigFile(path: string): Promise<BrokerOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`config file ${path} must hold a JSON object`);
  }
  for (const key of Object.keys(parsed)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new Error(`config file ${path}: unknown key '${key}'`);
  }
  return parsed as BrokerOptions;
}
