/**
 * The leader history of a run, read back from etcd (CLUSTER.md 7.4 "leaders come from the ISR"):
 * a watch on the cluster's prefix from revision 1 replays every put and delete. Each creation
 * of `<prefix>/leader` (create_revision == mod_revision; the epoch) is paired with the `isr`
 * value current at that revision; null while none was written yet (bootstrap).
 */
import { Etcd3 } from 'etcd3';
import { poll } from '../cluster-harness.js';

export interface EtcdLeaderChange {
  epoch: number;
  node: string;
  isr: string[] | null;
}

export async function leaderHistory(endpoints: readonly string[], prefix: string): Promise<EtcdLeaderChange[]> {
  const client = new Etcd3({ hosts: [...endpoints] });
  try {
    const head = Number((await client.getAll().prefix(`${prefix}/`).exec()).header.revision);
    const events: { key: string; type: 'put' | 'delete'; value: string; create: number; mod: number }[] = [];
    let seen = 0;
    const watcher = await client.watch().prefix(`${prefix}/`).startRevision('1').create();
    watcher.on('data', (res) => {
      for (const e of res.events) {
        const kv = e.kv;
        const mod = Number(kv.mod_revision);
        events.push({ key: kv.key.toString(), type: e.type === 'Delete' ? 'delete' : 'put', value: kv.value.toString(), create: Number(kv.create_revision), mod });
        seen = Math.max(seen, mod);
      }
    });
    try {
      await poll(`etcd history up to revision ${head}`, 15_000, () => Promise.resolve(seen >= head ? true : undefined), 50);
    } finally {
      await watcher.cancel();
    }
    const changes: EtcdLeaderChange[] = [];
    let isr: string[] | null = null;
    for (const e of events.sort((a, b) => a.mod - b.mod)) {
      if (e.key === `${prefix}/isr` && e.type === 'put') isr = (JSON.parse(e.value) as { members: string[] }).members;
      else if (e.key === `${prefix}/leader` && e.type === 'put' && e.create === e.mod) changes.push({ epoch: e.create, node: e.value, isr });
    }
    return changes;
  } finally {
    client.close();
  }
}
