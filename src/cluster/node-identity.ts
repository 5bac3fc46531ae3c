/**
 * The node's identity in its data dir (`.cluster_id`, as LavinMQ keeps one): written on the first
 * clustered start, checked on every later one, so a data dir copied to another node, or a node
 * renamed in the config, is refused instead of joining the cluster as someone else.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const IDENTITY_FILE = '.cluster_id';

interface Identity {
  cluster: string;
  nodeId: string;
}

export class NodeIdentityError extends Error {
  readonly code = 'WARREN_CLUSTER_IDENTITY';
}

/** Write the identity if absent; throw NodeIdentityError if the data dir belongs to another node or cluster. */
export async function checkNodeIdentity(dataDir: string, cluster: string, nodeId: string): Promise<void> {
  const path = join(dataDir, IDENTITY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const tmp = `${path}.tmp`;
    await writeFile(tmp, JSON.stringify({ cluster, nodeId } satisfies Identity) + '\n');
    await rename(tmp, path);
    return;
  }
  let found: Partial<Identity>;
  try {
    found = JSON.parse(text) as Partial<Identity>;
  } catch (err) {
    throw new NodeIdentityError(`${path} is not JSON; remove it only if this data dir really belongs to node '${nodeId}'`, { cause: err });
  }
  if (found.cluster !== cluster || found.nodeId !== nodeId) {
    throw new NodeIdentityError(
      `data dir ${dataDir} belongs to node '${String(found.nodeId)}' of cluster '${String(found.cluster)}', ` +
        `not to node '${nodeId}' of cluster '${cluster}' (copied from another node?); use that node's own data dir`,
    );
  }
}
