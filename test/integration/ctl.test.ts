/**
 * `warren ctl` (1/2), spawned against the management API: listings in rabbitmqctl's table form
 * (banners, header row, tabs), -q, --no-table-headers and --json; users, permissions and
 * policies, checked by what amqplib may then do; rabbitmqctl's exit codes. Needs `npm run build`.
 * Runs against RabbitMQ too (WARREN_TEST_MGMT_URL, see test/helpers/management.ts).
 */
import { createServer } from 'node:net';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { nextError, uniqueName, waitFor, withConfirmChannel } from '../helpers/broker.js';
import { ctlFor, runCtl, type CtlResult } from '../helpers/ctl.js';
import { managementSuite, seg } from '../helpers/management.js';

/** Each verb is a node process (~0.2 s of CPU); on a loaded machine a test of 15 of them needs room. */
const SLOW = { timeout: 60_000 };

const tm = managementSuite();
const { cleanup } = tm;
const ctl = ctlFor(tm);

/** A new vhost where guest has every permission. */
const newVhost = (): Promise<string> => tm.vhost('ctl-vh');

/** 'ok' when the broker confirmed a publish, else the message it closed the channel with. */
function publishOutcome(url: string, exchange: string, routingKey: string): Promise<string> {
  return withConfirmChannel(url, async (ch) => {
    const closed = nextError(ch);
    ch.publish(exchange, routingKey, Buffer.from('x'));
    try {
      await ch.waitForConfirms();
      return 'ok';
    } catch {
      return (await closed).message;
    }
  });
}

/** Logs in and closes: true when the broker let the user in. */
async function canLogIn(url: string): Promise<boolean> {
  try {
    const conn = await amqp.connect(url);
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

const lines = (r: CtlResult): string[] => r.stdout.split('\n').filter((l) => l !== '');

describe('warren ctl listings', () => {
  it('prints queues, exchanges, bindings, consumers, users and vhosts as rabbitmqctl does, or as JSON', SLOW, async () => {
    const vh = await newVhost();
    const conn = await amqp.connect(tm.amqpUrl('guest', 'guest', vh));
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('qa', { durable: false });
      await ch.assertQueue('qb', { durable: false });
      ch.sendToQueue('qa', Buffer.from('1'));
      ch.sendToQueue('qa', Buffer.from('2'));
      await ch.waitForConfirms();
      const { consumerTag } = await ch.consume('qb', () => {});
      // The API's figures may lag the broker (RabbitMQ's stats are emitted every few seconds).
      await waitFor(async () => {
        const qs = (await tm.api.get(`/api/queues/${seg(vh)}`)).body as { name: string; messages?: number; consumers?: number }[];
        return qs.find((q) => q.name === 'qa')?.messages === 2 && qs.find((q) => q.name === 'qb')?.consumers === 1;
      }, 15_000);

      const full = await ctl(['list_queues', '-p', vh, 'name', 'messages', 'consumers']);
      expect(full.code).toBe(0);
      expect(lines(full).slice(0, 3)).toEqual(['Timeout: 60.0 seconds ...', `Listing queues for vhost ${vh} ...`, 'name\tmessages\tconsumers']);
      expect(lines(full).slice(3).sort()).toEqual(['qa\t2\t0', 'qb\t0\t1']);

      const byDefault = await ctl(['-q', 'list_queues', '-p', vh]);
      expect(lines(byDefault)[0]).toBe('name\tmessages');
      expect(lines(byDefault).slice(1).sort()).toEqual(['qa\t2', 'qb\t0']);
      const bare = await ctl(['list_queues', '-q', '--no-table-headers', '-p', vh, 'name,durable']);
      expect(lines(bare).sort()).toEqual(['qa\tfalse', 'qb\tfalse']);

      const json = await ctl(['list_queues', '--json', '-p', vh, 'name', 'messages']);
      expect(json.stdout.startsWith('[\n{')).toBe(true);
      const rows = JSON.parse(json.stdout) as { name: string }[];
      expect(rows.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: 'qa', messages: 2 },
        { name: 'qb', messages: 0 },
      ]);

      const exchanges = lines(await ctl(['list_exchanges', '-p', vh]));
      expect(exchanges.slice(0, 2)).toEqual([`Listing exchanges for vhost ${vh} ...`, 'name\ttype']);
      expect(exchanges).toEqual(expect.arrayContaining(['\tdirect', 'amq.direct\tdirect', 'amq.fanout\tfanout', 'amq.topic\ttopic']));
      const bindings = lines(await ctl(['list_bindings', '-p', vh]));
      expect(bindings[0]).toBe(`Listing bindings for vhost ${vh}...`);
      expect(bindings[1]).toBe('source_name\tsource_kind\tdestination_name\tdestination_kind\trouting_key\targuments');
      expect(bindings).toEqual(expect.arrayContaining(['\texchange\tqa\tqueue\tqa\t[]', '\texchange\tqb\tqueue\tqb\t[]']));
      const consumers = lines(await ctl(['-q', 'list_consumers', '-p', vh]));
      expect(consumers[0]).toBe('queue_name\tchannel_pid\tconsumer_tag\tack_required\tprefetch_count\tactive\targuments');
      expect(consumers[1]).toMatch(new RegExp(`^qb\\t.+\\t${consumerTag}\\ttrue\\t0\\ttrue\\t\\[\\]$`));

      const users = await ctl(['list_users']);
      expect(lines(users).slice(0, 2)).toEqual(['Listing users ...', 'user\ttags']);
      expect(lines(users)).toContain('guest\t[administrator]');
      const vhosts = lines(await ctl(['list_vhosts', '-q']));
      expect(vhosts[0]).toBe('name');
      expect(vhosts).toEqual(expect.arrayContaining(['/', vh]));

      const bad = await ctl(['list_queues', 'name', 'nosuchkey']);
      expect(bad.code).toBe(64);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toContain('Info key(s) nosuchkey are not supported');
    } finally {
      await conn.close();
    }
  });
});

describe('warren ctl users and permissions', () => {
  it('add_user, change_password, set_user_tags and delete_user decide who logs in', SLOW, async () => {
    const vh = await newVhost();
    const user = cleanup.user(uniqueName('ctl-user'));
    const added = await ctl(['add_user', user, 'pw1']);
    expect(added.code).toBe(0);
    expect(lines(added)[0]).toBe(`Adding user "${user}" ...`);
    const again = await ctl(['add_user', user, 'pw1']);
    expect(again.code).toBe(70);
    expect(again.stderr).toContain(`User "${user}" already exists`);
    expect((await ctl(['set_permissions', '-p', vh, user, '.*', '.*', '.*'])).code).toBe(0);
    expect(await canLogIn(tm.amqpUrl(user, 'pw1', vh))).toBe(true);

    expect((await ctl(['change_password', user, 'pw2'])).code).toBe(0);
    expect(await canLogIn(tm.amqpUrl(user, 'pw1', vh))).toBe(false);
    expect(await canLogIn(tm.amqpUrl(user, 'pw2', vh))).toBe(true);

    const tagged = await ctl(['set_user_tags', user, 'management', 'monitoring']);
    expect(lines(tagged)).toEqual([`Setting tags for user "${user}" to [management, monitoring] ...`]);
    expect((await tm.api.get(`/api/users/${seg(user)}`)).body.tags).toEqual(['management', 'monitoring']);
    // The tags changed, the password did not.
    expect(await canLogIn(tm.amqpUrl(user, 'pw2', vh))).toBe(true);

    expect((await ctl(['delete_user', user])).code).toBe(0);
    expect(await canLogIn(tm.amqpUrl(user, 'pw2', vh))).toBe(false);
    for (const args of [['delete_user', user], ['change_password', user, 'x'], ['set_user_tags', user, 'management']]) {
      const missing = await ctl(args);
      expect(missing.code).toBe(67);
      expect(missing.stderr).toContain(`User "${user}" does not exist`);
    }
  });

  it('set_permissions and set_topic_permissions decide what a user may publish', SLOW, async () => {
    const vh = await newVhost();
    const user = cleanup.user(uniqueName('ctl-perm'));
    await tm.api.mustPut(`/api/users/${seg(user)}`, { password: 'pw', tags: '' });
    const url = tm.amqpUrl(user, 'pw', vh);

    expect((await ctl(['set_permissions', '-p', vh, user, '.*', '^$', '.*'])).code).toBe(0);
    expect(await publishOutcome(url, 'amq.direct', 'k')).toContain('ACCESS_REFUSED');
    const set = await ctl(['set_permissions', '-p', vh, user, '.*', '.*', '.*']);
    expect(lines(set)).toEqual([`Setting permissions for user "${user}" in vhost "${vh}" ...`]);
    expect(await publishOutcome(url, 'amq.direct', 'k')).toBe('ok');

    const topic = await ctl(['set_topic_permissions', '-p', vh, user, 'amq.topic', '^allowed\\.', '.*']);
    expect(lines(topic)).toEqual([`Setting topic permissions on "amq.topic" for user "${user}" in vhost "${vh}" ...`]);
    expect(await publishOutcome(url, 'amq.topic', 'allowed.x')).toBe('ok');
    expect(await publishOutcome(url, 'amq.topic', 'denied.x')).toContain('ACCESS_REFUSED');

    expect(lines(await ctl(['-q', 'list_permissions', '-p', vh]))).toEqual(
      expect.arrayContaining(['user\tconfigure\twrite\tread', `${user}\t.*\t.*\t.*`]),
    );
    expect(lines(await ctl(['-q', 'list_topic_permissions', '-p', vh]))).toEqual(['user\texchange\twrite\tread', `${user}\tamq.topic\t^allowed\\.\t.*`]);
    expect(lines(await ctl(['-q', 'list_user_permissions', user]))).toEqual(['vhost\tconfigure\twrite\tread', `${vh}\t.*\t.*\t.*`]);

    const noUser = await ctl(['set_permissions', '-p', vh, `${user}-missing`, '.*', '.*', '.*']);
    expect([noUser.code, noUser.stderr]).toEqual([67, `Error:\nUser ${user}-missing does not exist\n`]);
    const noVhost = await ctl(['set_permissions', '-p', `${vh}-missing`, user, '.*', '.*', '.*']);
    expect([noVhost.code, noVhost.stderr]).toEqual([69, `Error:\nVirtual host ${vh}-missing does not exist\n`]);
    const listMissing = await ctl(['list_permissions', '-p', `${vh}-missing`]);
    expect([listMissing.code, listMissing.stderr]).toEqual([65, `Error:\nVirtual host '${vh}-missing' does not exist\n`]);
  });
});

describe('warren ctl policies', () => {
  it('set_policy applies a policy to matching queues; clear_policy removes it', SLOW, async () => {
    const vh = await newVhost();
    const set = await ctl(['set_policy', '-p', vh, '--priority', '3', '--apply-to', 'queues', 'cap', '^capped', '{"max-length":1}']);
    expect(set.code).toBe(0);
    expect(lines(set)).toEqual([`Setting policy "cap" for pattern "^capped" to "{"max-length":1}" with priority "3" for vhost "${vh}" ...`]);
    const policy = (await tm.api.get(`/api/policies/${seg(vh)}/cap`)).body;
    expect(policy).toMatchObject({ pattern: '^capped', priority: 3, 'apply-to': 'queues', definition: { 'max-length': 1 } });
    const kept = await withConfirmChannel(tm.amqpUrl('guest', 'guest', vh), async (ch) => {
      await ch.assertQueue('capped-q', { durable: false });
      for (const body of ['1', '2', '3']) ch.sendToQueue('capped-q', Buffer.from(body));
      await ch.waitForConfirms();
      return (await ch.checkQueue('capped-q')).messageCount;
    });
    expect(kept).toBe(1);
    expect(lines(await ctl(['list_policies', '-p', vh]))).toEqual([
      `Listing policies for vhost "${vh}" ...`,
      'vhost\tname\tpattern\tapply-to\tdefinition\tpriority',
      `${vh}\tcap\t^capped\tqueues\t{"max-length":1}\t3`,
    ]);

    expect((await ctl(['clear_policy', '-p', vh, 'cap'])).code).toBe(0);
    expect((await tm.api.get(`/api/policies/${seg(vh)}/cap`)).status).toBe(404);
    const gone = await ctl(['clear_policy', '-p', vh, 'cap']);
    expect([gone.code, gone.stderr]).toEqual([69, 'Error:\nParameter does not exist\n']);

    const notJson = await ctl(['set_policy', '-p', vh, 'p2', '^x', '{bad']);
    expect(notJson.code).toBe(65);
    const unknownKey = await ctl(['set_policy', '-p', vh, 'p3', '^x', '{"no-such-key":1}']);
    expect(unknownKey.code).toBe(70);
    expect(unknownKey.stderr).toContain('[{<<"no-such-key">>,1}] are not recognised policy settings');
    expect((await ctl(['set_policy', '-p', vh, '--priority', 'high', 'p4', '^x', '{}'])).code).toBe(64);
  });
});

describe('warren ctl exit codes and connection options', () => {
  it('exits 64 on usage errors, 69 when the API is unreachable, 70 on API errors, 65 on a missing vhost', SLOW, async () => {
    for (const args of [['no_such_verb'], ['add_user', 'only-one-argument'], []]) {
      expect((await ctl(args)).code).toBe(64);
    }
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const down = await runCtl(['--url', `http://127.0.0.1:${port}`, 'list_users']);
    expect(down.code).toBe(69);
    expect(down.stderr).toContain(`unable to reach the management API at http://127.0.0.1:${port}`);

    const refused = await runCtl(['--url', tm.url, '--user', 'guest', '--password', 'wrong', 'list_users']);
    expect(refused.code).toBe(70);
    expect(refused.stderr).toContain('refused the credentials of user "guest"');
    const missing = await ctl(['delete_vhost', uniqueName('ctl-missing')]);
    expect(missing.code).toBe(65);
    expect(missing.stderr).toMatch(/Virtual host '.*' does not exist/);

    // The environment instead of flags, and credentials in the URL.
    const env = { WARREN_URL: tm.url, WARREN_USER: tm.api.user, WARREN_PASSWORD: tm.api.password };
    expect(lines(await runCtl(['-q', 'list_users'], { env }))).toContain('guest\t[administrator]');
    const withCredentials = new URL(tm.url);
    withCredentials.username = tm.api.user;
    withCredentials.password = tm.api.password;
    expect((await runCtl(['--url', withCredentials.toString(), 'list_vhosts'])).code).toBe(0);
  });
});
