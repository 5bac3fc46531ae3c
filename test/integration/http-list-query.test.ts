/**
 * The list parameters of the management API (sort, sort_reverse, columns, page, page_size, name,
 * use_regex), on /api/vhosts (paginated in RabbitMQ 3.10.8), /api/users and /api/permissions
 * (not paginated there): the paged answer's shape, name and regex filters, KEDA's regex query,
 * RabbitMQ's 400s for bad pages. Checked against RabbitMQ 3.10 with WARREN_TEST_MGMT_URL.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api, cleanup } = tm;
/** three vhosts and three users named `${prefix}-a`, `-b`, `-c` */
let prefix: string;

beforeAll(async () => {
  prefix = uniqueName('lq');
  for (const s of ['b', 'c', 'a']) {
    await api.mustPut(`/api/vhosts/${seg(cleanup.vhost(`${prefix}-${s}`))}`, { description: `d-${s}` });
    await api.mustPut(`/api/users/${seg(cleanup.user(`${prefix}-${s}`))}`, { password: 'pw', tags: s === 'a' ? 'management' : 'monitoring' });
  }
});

const ours = (items: { name: string }[]): string[] => items.map((i) => i.name).filter((n) => n.startsWith(prefix));

describe('pagination', () => {
  it('pages a filtered list: {filtered_count, item_count, items, page, page_count, page_size, total_count}', async () => {
    const r = await api.get(`/api/vhosts?page=1&page_size=2&name=${prefix.toUpperCase()}&columns=name`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['filtered_count', 'item_count', 'items', 'page', 'page_count', 'page_size', 'total_count']);
    expect(r.body).toMatchObject({ filtered_count: 3, item_count: 2, page: 1, page_count: 2, page_size: 2 });
    expect(r.body.total_count).toBeGreaterThanOrEqual(4);
    expect(r.body.items).toEqual([{ name: `${prefix}-a` }, { name: `${prefix}-b` }]);
    const p2 = await api.get(`/api/vhosts?page=2&page_size=2&name=${prefix}&columns=name`);
    expect(p2.body).toMatchObject({ item_count: 1, items: [{ name: `${prefix}-c` }], page: 2 });
    // The page just past the end is empty; the ones after it are out of range (below).
    const past = await api.get(`/api/vhosts?page=4&page_size=1&name=${prefix}`);
    expect(past.body).toMatchObject({ filtered_count: 3, item_count: 0, items: [], page: 4, page_count: 3 });
  });

  it('defaults page_size to 100', async () => {
    const r = await api.get(`/api/vhosts?page=1&name=${prefix}-b&columns=name,description`);
    expect(r.body).toMatchObject({ page_size: 100, page_count: 1, filtered_count: 1, items: [{ name: `${prefix}-b`, description: 'd-b' }] });
  });

  it('filters by a case-insensitive regex with use_regex=true (KEDA: ...&pagination=false&page_size=N)', async () => {
    const regex = encodeURIComponent(`^${prefix.toUpperCase()}-(a|c)$`);
    const r = await api.get(`/api/vhosts?page=1&use_regex=true&pagination=false&name=${regex}&page_size=500`);
    expect(r.status).toBe(200);
    expect(r.body.page_count).toBe(1);
    expect(r.body.items.map((v: { name: string }) => v.name)).toEqual([`${prefix}-a`, `${prefix}-c`]);
    // Without use_regex the name is a substring: the regex matches nothing.
    expect((await api.get(`/api/vhosts?page=1&name=${regex}`)).body).toMatchObject({ filtered_count: 0, page_count: 0, items: [] });
  });

  it("pages queues for KEDA's regex query on /api/queues/{vhost}", async () => {
    const vhost = `${prefix}-a`;
    for (const q of ['orders-1', 'orders-2', 'other']) await api.mustPut(`/api/queues/${seg(vhost)}/${q}`, { durable: true });
    const regex = encodeURIComponent('^orders-');
    const r = await api.get(`/api/queues/${seg(vhost)}?page=1&use_regex=true&pagination=false&name=${regex}&page_size=100`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ page: 1, page_count: 1, filtered_count: 2, item_count: 2 });
    // (RabbitMQ fills in `messages` at its next statistics emission, so only names are compared.)
    expect(r.body.items.map((q: { name: string }) => q.name)).toEqual(['orders-1', 'orders-2']);
  });

  it('answers RabbitMQ 400s for bad pages', async () => {
    const bad = { error: 'bad_request', reason: 'Pagination parameters are invalid' };
    for (const q of ['page=abc', 'page=1.5', 'page=', 'page=1&page_size=x', 'page=1&use_regex=true&name=%5B']) {
      const r = await api.get(`/api/vhosts?${q}`);
      expect([q, r.status, r.body]).toEqual([q, 400, bad]);
    }
    expect((await api.get('/api/vhosts?page=0')).body).toEqual({
      error: 'invalid_pagination_parameters',
      reason: 'Invalid pagination parameters: page number 0, page size undefined',
    });
    expect((await api.get('/api/vhosts?page=1&page_size=501')).body).toEqual({
      error: 'invalid_pagination_parameters',
      reason: 'Invalid pagination parameters: page number 1, page size 501',
    });
    const out = await api.get(`/api/vhosts?page=5&page_size=1&name=${prefix}`);
    expect(out.status).toBe(400);
    expect(out.body).toEqual({ error: 'page_out_of_range', reason: 'Page out of range, page: 5 page size: 1, len: 3' });
  });

  it('does not page lists RabbitMQ 3.10.8 does not page (users, permissions)', async () => {
    const r = await api.get('/api/users?page=1&page_size=1&columns=name');
    expect(Array.isArray(r.body)).toBe(true);
    expect(ours(r.body)).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    expect(Array.isArray((await api.get('/api/permissions?page=1')).body)).toBe(true);
  });
});

describe('sort and columns', () => {
  it('sorts by a field, reversed on request, keeping only the columns asked for', async () => {
    const r = await api.get('/api/users?sort=name&sort_reverse=true&columns=name,tags');
    expect(r.status).toBe(200);
    expect(ours(r.body)).toEqual([`${prefix}-c`, `${prefix}-b`, `${prefix}-a`]);
    for (const u of r.body) expect(Object.keys(u).sort()).toEqual(['name', 'tags']);
  });

  it('sorts on a field first, then by the default order (tags, then name)', async () => {
    const r = await api.get('/api/users?sort=tags&columns=name');
    const mine = ours(r.body);
    expect(mine).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    const rev = await api.get('/api/users?sort=tags&sort_reverse=true&columns=name');
    expect(ours(rev.body)).toEqual([`${prefix}-c`, `${prefix}-b`, `${prefix}-a`]);
  });

  it('sorts on dotted fields, and an empty sort keeps every item', async () => {
    const r = await api.get(`/api/vhosts?sort=metadata.description&sort_reverse=true&columns=name`);
    expect(ours(r.body)).toEqual([`${prefix}-c`, `${prefix}-b`, `${prefix}-a`]);
    const all = await api.get('/api/vhosts?sort=&columns=name');
    expect(ours(all.body).sort()).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    for (const v of all.body) expect(Object.keys(v)).toEqual(['name']);
  });

  it('applies columns to permission lists, ignoring empty names', async () => {
    const r = await api.get('/api/permissions?columns=vhost,,user');
    const mine = r.body.filter((p: { vhost: string }) => p.vhost.startsWith(prefix));
    expect(mine).toEqual([
      { vhost: `${prefix}-a`, user: 'guest' },
      { vhost: `${prefix}-b`, user: 'guest' },
      { vhost: `${prefix}-c`, user: 'guest' },
    ]);
  });
});
