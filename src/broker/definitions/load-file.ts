/**
 * Definitions loaded at boot (`--definitions FILE`, the `definitions` config key), as RabbitMQ's
 * load_definitions does: after recovery, through the same import as POST /api/definitions, every
 * boot (objects that exist already are left as they are). A directory loads each of its *.json
 * files in name order. An unreadable or invalid file fails start-up, naming the file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Broker } from '../broker.js';
import { logger } from '../../util/logger.js';
import { DefinitionError } from './definition-error.js';
import { importDefinitions } from './import.js';

const log = logger('broker.definitions');

/** A definitions file that could not be loaded at boot; the message names the file. */
export class DefinitionsFileError extends Error {
  readonly code = 'WARREN_BAD_DEFINITIONS_FILE';
}

const why = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function filesOf(path: string): Promise<string[]> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw new DefinitionsFileError(`definitions file ${path}: ${why(err)}`, { cause: err });
  }
  if (!isDir) return [path];
  return (await readdir(path))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(path, f));
}

async function loadOne(broker: Broker, file: string): Promise<void> {
  let defs: unknown;
  try {
    defs = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new DefinitionsFileError(`definitions file ${file}: ${why(err)}`, { cause: err });
  }
  if (typeof defs !== 'object' || defs === null || Array.isArray(defs)) {
    throw new DefinitionsFileError(`definitions file ${file}: must hold a JSON object`);
  }
  try {
    importDefinitions(broker, defs as Record<string, unknown>, undefined);
  } catch (err) {
    if (err instanceof DefinitionError) throw new DefinitionsFileError(`definitions file ${file}: ${err.message}`, { cause: err });
    throw err;
  }
  log.info(`imported definitions from ${file}`);
}

/** Import the definitions file, or every *.json file of the directory, at `path`. */
export async function loadDefinitionsFile(broker: Broker, path: string): Promise<void> {
  for (const file of await filesOf(path)) await loadOne(broker, file);
}
