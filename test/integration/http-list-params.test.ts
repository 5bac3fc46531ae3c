/**
 * The list parameters on the lists RabbitMQ answers with reply_list (policies, operator policies,
 * parameters, global parameters, and every bindings list): `sort` (then the list's default sort),
 * `sort_reverse` and `columns` apply; `page`, `page_size`, `name` and `use_regex` do not — RabbitMQ
 * (3.10 and 4.x alike) paginates only vhosts, queues, exchanges, connections and channels, and
 * answers a plain list here whatever `page` says. Checked against RabbitMQ 3.10 with
 * WARREN_TEST_MGMT_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api } = tm;
let vhost: string;
let vh: string;
const globals = [uniqueName('lp-g-a'), uniqueName('lp-g-b')];

beforeAll(async () => {
  vhost = await tm.vhost('list-params');
  vh = seg(vhost);
  const policy = (pattern: string, priority: number): object => ({ pattern, definition: { 'max-length': 1 }, priority });
  await api.mustPut(`/api/policies/${vh}/a`, policy('^a', 5));
  await api.mustPut(`/api/policies/${vh}/b`, policy('^b', 1));
  await api.mustPut(`/api/policies/${vh}/c`, policy('^c', 1));
  await api.mustPut(`/api/operator-policies/${vh}/o1`, policy('^o', 3));
  await api.mustPut(`/api/operator-policies/${vh}/o2`, policy('^p', 2));
  await api.mustPut(`/api/parameters/vhost-limits/${vh}/limits`, { value: { 'max-queues': 9 } });
  for (const g of globals) await api.mustPut(`/api/global-parameters/${seg(g)}`, { value: { g } });
  await api.mustPut(`/api/exchanges/${vh}/x`, { type: 'direct' });
  await api.mustPut(`/api/queues/${vh}/q1`, {});
  await api.mustPut(`/api/queues/${vh}/q2`, {});
  for (const [q, key] of [['q1', 'k1'], ['q2', 'k2']]) {
    expect((await api.post(`/api/bindings/${vh}/e/x/q/${q}`, { routing_key: key })).status).toBe(201);
  }
});

afterAll(async () => {
  for (const g of globals) await api.delete(`/api/global-parameters/${seg(g)}`);
});

const names = (body: unknown): unknown[] => (body as { name: unknown }[]).map((i) => i.name);

describe('policies and operator policies', () => {
  it('sort by priority by default; sort, sort_reverse and columns apply', async () => {
    expect(names((await api.get(`/api/policies/${vh}`)).body)).toEqual(['b', 'c', 'a']);
    const r = await api.get(`/api/policies/${vh}?sort=name&sort_reverse=true&columns=name,priority`);
    expect(r.body).toEqual([
      { name: 'c', priority: 1 },
      { name: 'b', priority: 1 },
      { name: 'a', priority: 5 },
    ]);
    expect((await api.get(`/api/operator-policies/${vh}?columns=name,priority,definition.max-length`)).body).toEqual([
      { name: 'o2', priority: 2, definition: { 'max-length': 1 } },
      { name: 'o1', priority: 3, definition: { 'max-length': 1 } },
    ]);
    // Columns are picked before sorting: without `priority` the items' own order (by name) decides.
    expect((await api.get(`/api/operator-policies/${vh}?columns=name`)).body).toEqual([{ name: 'o1' }, { name: 'o2' }]);
    const all = (await api.get('/api/operator-policies?sort=name&columns=name,vhost')).body as { name: string; vhost: string }[];
    expect(all.filter((p) => p.vhost === vhost)).toEqual([
      { name: 'o1', vhost },
      { name: 'o2', vhost },
    ]);
  });

  it('ignore page, page_size, name and use_regex, as RabbitMQ does', async () => {
    // (A page RabbitMQ cannot parse, page=0 or page=x, is a 500 there; Warren ignores it.)
    for (const q of ['page=1&page_size=1', 'page=1&name=a', 'page=2&page_size=1&use_regex=true&name=zzz']) {
      const r = await api.get(`/api/policies/${vh}?${q}`);
      expect([q, r.status, names(r.body)]).toEqual([q, 200, ['b', 'c', 'a']]);
    }
  });
});

describe('parameters and global parameters', () => {
  it('take sort, sort_reverse and columns, not page', async () => {
    const limits = await api.get(`/api/parameters/vhost-limits/${vh}?columns=name,component,value&page=1&page_size=1`);
    expect(limits.body).toEqual([{ name: 'limits', component: 'vhost-limits', value: { 'max-queues': 9 } }]);
    const r = await api.get('/api/global-parameters?columns=name&sort=name&sort_reverse=true&page=1');
    const ours = (r.body as { name: string }[]).filter((p) => globals.includes(p.name));
    expect(ours).toEqual([{ name: globals[1] }, { name: globals[0] }]);
    expect(Object.keys((r.body as object[])[0] ?? {})).toEqual(['name']);
  });
});

describe('bindings lists', () => {
  it('sort by vhost, source, destination, routing key by default; sort, sort_reverse and columns apply', async () => {
    const all = await api.get(`/api/bindings/${vh}?columns=source,destination,routing_key`);
    expect(all.body).toEqual([
      { source: '', destination: 'q1', routing_key: 'q1' },
      { source: '', destination: 'q2', routing_key: 'q2' },
      { source: 'x', destination: 'q1', routing_key: 'k1' },
      { source: 'x', destination: 'q2', routing_key: 'k2' },
    ]);
    const byKey = await api.get(`/api/bindings/${vh}?columns=routing_key&sort=routing_key&sort_reverse=true&page=1&page_size=1`);
    expect(byKey.body).toEqual([{ routing_key: 'q2' }, { routing_key: 'q1' }, { routing_key: 'k2' }, { routing_key: 'k1' }]);
    const vhostWide = (await api.get('/api/bindings?columns=vhost,routing_key&sort=routing_key')).body as { vhost: string }[];
    expect(vhostWide.filter((b) => b.vhost === vhost).map((b) => (b as unknown as { routing_key: string }).routing_key)).toEqual(['k1', 'k2', 'q1', 'q2']);
  });

  it('of a queue, an exchange and a source-destination pair', async () => {
    expect((await api.get(`/api/queues/${vh}/q1/bindings?columns=source&sort_reverse=true`)).body).toEqual([{ source: 'x' }, { source: '' }]);
    const source = await api.get(`/api/exchanges/${vh}/x/bindings/source?columns=destination&sort=destination&sort_reverse=true`);
    expect(source.body).toEqual([{ destination: 'q2' }, { destination: 'q1' }]);
    expect((await api.get(`/api/exchanges/${vh}/amq.direct/bindings/destination?columns=source&page=1`)).body).toEqual([]);
    expect((await api.get(`/api/bindings/${vh}/e/x/q/q2?columns=routing_key,properties_key`)).body).toEqual([{ routing_key: 'k2', properties_key: 'k2' }]);
  });
});
