/**
 * The permission every AMQP operation needs, table-driven, with RabbitMQ 3.10's mapping
 * (rabbit_channel): each row lists the (permission, resource) pairs its operation checks.
 *
 * For every pair of every row, a fresh set of names is made and that one name is left out of
 * that one permission's regex, so the operation is refused on exactly that check: 403
 * ACCESS_REFUSED with RabbitMQ's text, and no effect (observed by guest while the refused
 * user's connection is still open). All these exclusions go into one user, `restricted`
 * (one `set_permissions` against RabbitMQ instead of one per case): each case's names are its
 * own, so for any case that user has every permission the operation needs but the one under test.
 * The same operations then succeed, with their effect, for `full`, who has every permission.
 * Passive declares need no permission at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from 'amqplib';
import { roundTrip, uniqueName, waitFor } from '../helpers/broker.js';
import { ALL, Scene, allBut, escapeRe, expectRefused } from '../helpers/permissions.js';

type Permission = 'configure' | 'write' | 'read';
type Kind = 'exchange' | 'queue';
type Role = 'x' | 'ae' | 'q' | 'dlx' | 'src' | 'dst';
type Names = Record<Role, string>;

interface Row {
  op: string;
  /** what the operation checks, as (permission, kind, the role whose name is checked) */
  needs: ReadonlyArray<readonly [Permission, Kind, Role]>;
  /** names the row fixes: '' is the default exchange, or a server-named queue */
  fixed?: Partial<Names>;
  /** guest creates what the operation needs; the result is passed to `effect` */
  setup?: (s: Scene, n: Names) => Promise<unknown>;
  run: (ch: Channel, n: Names) => Promise<unknown>;
  /** has the operation taken effect? (absent: nothing to observe, as for a redeclare) */
  effect?: (s: Scene, n: Names, before: unknown) => Promise<boolean>;
}

const fanout = (s: Scene, name: string): Promise<unknown> => s.g.assertExchange(name, 'fanout', { durable: false });
const queue = (s: Scene, name: string): Promise<unknown> => s.g.assertQueue(name, { durable: false });
const queueWithOne = async (s: Scene, name: string): Promise<void> => {
  await queue(s, name);
  await s.fill(name);
};
/** x (fanout) and q, bound when `bound` */
const exchangeAndQueue = async (s: Scene, n: Names, bound: boolean): Promise<void> => {
  await fanout(s, n.x);
  await queue(s, n.q);
  if (bound) await s.g.bindQueue(n.q, n.x, '');
};
/** src -> dst (bound when `bound`) -> q, all fanout */
const exchangeChain = async (s: Scene, n: Names, bound: boolean): Promise<void> => {
  await fanout(s, n.src);
  await fanout(s, n.dst);
  await queue(s, n.q);
  await s.g.bindQueue(n.q, n.dst, '');
  if (bound) await s.g.bindExchange(n.dst, n.src, '');
};
const exists = (kind: Kind, role: Role) => (s: Scene, n: Names) => s.exists(kind, n[role]);
const gone = (kind: Kind, role: Role) => async (s: Scene, n: Names) => !(await s.exists(kind, n[role]));
const ready = async (s: Scene, n: Names): Promise<number> => (await s.stat(n.q)).messageCount;

const rows: Row[] = [
  {
    op: 'exchange.declare',
    needs: [['configure', 'exchange', 'x']],
    run: (ch, n) => ch.assertExchange(n.x, 'fanout', { durable: false }),
    effect: exists('exchange', 'x'),
  },
  {
    op: 'exchange.declare of an existing exchange',
    needs: [['configure', 'exchange', 'x']],
    setup: (s, n) => fanout(s, n.x),
    run: (ch, n) => ch.assertExchange(n.x, 'fanout', { durable: false }),
  },
  {
    op: 'exchange.declare with an alternate-exchange',
    needs: [['configure', 'exchange', 'x'], ['write', 'exchange', 'ae'], ['read', 'exchange', 'x']],
    setup: (s, n) => fanout(s, n.ae),
    run: (ch, n) => ch.assertExchange(n.x, 'fanout', { durable: false, alternateExchange: n.ae }),
    effect: exists('exchange', 'x'),
  },
  {
    op: 'exchange.delete',
    needs: [['configure', 'exchange', 'x']],
    setup: (s, n) => fanout(s, n.x),
    run: (ch, n) => ch.deleteExchange(n.x),
    effect: gone('exchange', 'x'),
  },
  {
    op: 'queue.declare',
    needs: [['configure', 'queue', 'q']],
    run: (ch, n) => ch.assertQueue(n.q, { durable: false }),
    effect: exists('queue', 'q'),
  },
  {
    op: 'queue.declare of an existing queue',
    needs: [['configure', 'queue', 'q']],
    setup: (s, n) => queue(s, n.q),
    run: (ch, n) => ch.assertQueue(n.q, { durable: false }),
  },
  {
    op: 'queue.declare of a server-named queue',
    needs: [['configure', 'queue', 'q']],
    fixed: { q: '' },
    setup: (s) => s.admin.listQueues(s.vhost),
    run: (ch) => ch.assertQueue('', { durable: false }),
    effect: async (s, _n, before) => {
      const now = await s.admin.listQueues(s.vhost);
      return now.some((q) => q.startsWith('amq.gen-') && !(before as string[]).includes(q));
    },
  },
  {
    op: 'queue.declare with an x-dead-letter-exchange',
    needs: [['configure', 'queue', 'q'], ['write', 'exchange', 'dlx'], ['read', 'queue', 'q']],
    setup: (s, n) => fanout(s, n.dlx),
    run: (ch, n) => ch.assertQueue(n.q, { durable: false, deadLetterExchange: n.dlx }),
    effect: exists('queue', 'q'),
  },
  {
    op: 'queue.delete',
    needs: [['configure', 'queue', 'q']],
    setup: (s, n) => queue(s, n.q),
    run: (ch, n) => ch.deleteQueue(n.q),
    effect: gone('queue', 'q'),
  },
  {
    op: 'exchange.bind',
    needs: [['write', 'exchange', 'dst'], ['read', 'exchange', 'src']],
    setup: (s, n) => exchangeChain(s, n, false),
    run: (ch, n) => ch.bindExchange(n.dst, n.src, ''),
    effect: (s, n) => s.routes(n.src, n.q),
  },
  {
    op: 'exchange.unbind',
    needs: [['write', 'exchange', 'dst'], ['read', 'exchange', 'src']],
    setup: (s, n) => exchangeChain(s, n, true),
    run: (ch, n) => ch.unbindExchange(n.dst, n.src, ''),
    effect: async (s, n) => !(await s.routes(n.src, n.q)),
  },
  {
    op: 'queue.bind',
    needs: [['write', 'queue', 'q'], ['read', 'exchange', 'x']],
    setup: (s, n) => exchangeAndQueue(s, n, false),
    run: (ch, n) => ch.bindQueue(n.q, n.x, ''),
    effect: (s, n) => s.routes(n.x, n.q),
  },
  {
    op: 'queue.unbind',
    needs: [['write', 'queue', 'q'], ['read', 'exchange', 'x']],
    setup: (s, n) => exchangeAndQueue(s, n, true),
    run: (ch, n) => ch.unbindQueue(n.q, n.x, ''),
    effect: async (s, n) => !(await s.routes(n.x, n.q)),
  },
  {
    op: 'basic.publish',
    needs: [['write', 'exchange', 'x']],
    setup: (s, n) => exchangeAndQueue(s, n, true),
    run: (ch, n) => Promise.resolve(ch.publish(n.x, '', Buffer.from('m'))),
    effect: async (s, n) => (await ready(s, n)) === 1,
  },
  {
    op: "basic.publish to the default exchange (checked as 'amq.default')",
    needs: [['write', 'exchange', 'x']],
    fixed: { x: '' },
    setup: (s, n) => queue(s, n.q),
    run: (ch, n) => Promise.resolve(ch.sendToQueue(n.q, Buffer.from('m'))),
    effect: async (s, n) => (await ready(s, n)) === 1,
  },
  {
    op: 'basic.get',
    needs: [['read', 'queue', 'q']],
    setup: (s, n) => queueWithOne(s, n.q),
    run: (ch, n) => ch.get(n.q, { noAck: true }),
    effect: async (s, n) => (await ready(s, n)) === 0,
  },
  {
    op: 'basic.consume',
    needs: [['read', 'queue', 'q']],
    setup: (s, n) => queue(s, n.q),
    run: (ch, n) => ch.consume(n.q, () => {}),
    effect: async (s, n) => (await s.stat(n.q)).consumerCount === 1,
  },
  {
    op: 'queue.purge',
    needs: [['read', 'queue', 'q']],
    setup: (s, n) => queueWithOne(s, n.q),
    run: (ch, n) => ch.purgeQueue(n.q),
    effect: async (s, n) => (await ready(s, n)) === 0,
  },
];

const namesFor = (row: Row): Names => ({
  x: uniqueName('px'),
  ae: uniqueName('pae'),
  q: uniqueName('pq'),
  dlx: uniqueName('pdlx'),
  src: uniqueName('psrc'),
  dst: uniqueName('pdst'),
  ...row.fixed,
});

/** Names left out of each of `restricted`'s regexes. */
const excluded: Record<Permission, string[]> = { configure: [], write: [], read: [] };

const refusals = rows.flatMap((row) =>
  row.needs.map(([perm, kind, role]) => {
    const n = namesFor(row);
    const name = n[role];
    // '' is the default exchange, checked as amq.default, or a queue the server will name amq.gen-*
    excluded[perm].push(name !== '' ? escapeRe(name) : kind === 'exchange' ? 'amq\\.default' : 'amq\\.gen-.*');
    return { title: `${row.op}: refused without ${perm} on the ${kind} (${role})`, row, perm, kind, n, name };
  }),
);

/** An exchange and a queue on which `restricted` has no permission at all. */
const opaque = { x: uniqueName('opaque-x'), q: uniqueName('opaque-q') };
for (const perm of ['configure', 'write', 'read'] as const) excluded[perm].push(escapeRe(opaque.x), escapeRe(opaque.q));

let s: Scene;
let restricted: string;
let full: string;

beforeAll(async () => {
  s = await Scene.start();
  restricted = await s.user('restricted', {
    configure: allBut(excluded.configure),
    write: allBut(excluded.write),
    read: allBut(excluded.read),
  });
  full = await s.user('full', ALL);
}, 60_000);

afterAll(async () => {
  await s?.close();
}, 60_000);

describe('each permission an operation needs, refused on exactly that resource', () => {
  it.each(refusals)('$title', async ({ row, kind, n, name }) => {
    const before = await row.setup?.(s, n);
    await s.as(restricted, async (ch) => {
      const refusal = await expectRefused(ch, () => row.run(ch, n));
      expect(refusal.code).toBe(403);
      if (kind === 'queue' && name === '') {
        const text = escapeRe(s.refused('queue', '@', restricted)).replace('@', "amq\\.gen-[\\w-]+");
        expect(refusal.text).toMatch(new RegExp(`^${text}$`));
      } else {
        expect(refusal.text).toBe(s.refused(kind, name, restricted));
      }
      if (row.effect !== undefined) expect(await row.effect(s, n, before)).toBe(false);
    });
  });
});

describe('with every permission', () => {
  it.each(rows)('$op succeeds', async (row) => {
    const n = namesFor(row);
    const before = await row.setup?.(s, n);
    await s.as(full, async (ch) => {
      await row.run(ch, n);
      const effect = row.effect;
      if (effect !== undefined) await waitFor(() => effect(s, n, before));
      expect(await roundTrip(ch)).toBe('open');
    });
  });
});

describe('passive declares need no permission', () => {
  beforeAll(async () => {
    await fanout(s, opaque.x);
    await queueWithOne(s, opaque.q);
  });

  it('exchange.declare passive=true on an exchange the user has no permission on', async () => {
    await s.as(restricted, async (ch) => {
      await ch.checkExchange(opaque.x);
      expect(await roundTrip(ch)).toBe('open');
    });
  });

  it('queue.declare passive=true on a queue the user has no permission on, with its counts', async () => {
    await s.as(restricted, async (ch) => {
      expect(await ch.checkQueue(opaque.q)).toEqual({ queue: opaque.q, messageCount: 1, consumerCount: 0 });
    });
  });
});
