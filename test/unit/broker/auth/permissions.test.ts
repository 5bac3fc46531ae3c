/**
 * Permissions as RabbitMQ's internal authorisation backend keeps them: a configure / write / read
 * regex per user and vhost, searched for in resource names (unanchored), an empty pattern
 * meaning '^$'; topic permissions on routing keys with {username}, {vhost} and {client_id}
 * expanded; a version bumped on every change, so connections redo checks they cached; changes
 * written to the store, recovery's restores not.
 */
import { describe, expect, it } from 'vitest';
import { Access } from '../../../../src/broker/auth/access.js';
import { hashPassword } from '../../../../src/broker/auth/password-hash.js';
import { CompiledPermissions, Permissions } from '../../../../src/broker/auth/permissions.js';
import { User } from '../../../../src/broker/auth/users.js';
import { MemoryDefinitions, MemoryDefinitionTables } from '../../../../src/store/memory-definitions.js';

const FULL = { configure: '.*', write: '.*', read: '.*' };
const alice = new User('alice', hashPassword('pw'), 'rabbit_password_hashing_sha256', []);
const topic = { name: 'amq.topic', type: 'topic' };

/** The refusal text of an access check, or 'ok'. */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('CompiledPermissions', () => {
  it("an empty pattern means '^$': only the empty name", () => {
    const p = new CompiledPermissions('', '', '');
    for (const perm of ['configure', 'write', 'read'] as const) {
      expect(p.matches(perm, '')).toBe(true);
      expect(p.matches(perm, 'q')).toBe(false);
    }
  });

  it('patterns are searched for, not anchored, unless they anchor themselves', () => {
    const p = new CompiledPermissions('^app-', 'log', 'x$');
    expect([p.matches('configure', 'app-q'), p.matches('configure', 'my-app-q')]).toEqual([true, false]);
    expect([p.matches('write', 'audit-log-1'), p.matches('write', 'lg')]).toEqual([true, false]);
    expect([p.matches('read', 'inbox'), p.matches('read', 'xs')]).toEqual([true, false]);
  });

  it('an invalid regex is a 406 validation error', () => {
    expect(() => new CompiledPermissions('(', '.*', '.*')).toThrow('PRECONDITION_FAILED - Validation failed\n\n"(" is not a valid regular expression');
  });
});

describe('Permissions', () => {
  it('bumps its version on every change, and only on a change', () => {
    const ps = new Permissions();
    const bumps = (fn: () => unknown): number => {
      const before = ps.version;
      fn();
      return ps.version - before;
    };
    expect(bumps(() => ps.set('alice', '/', FULL))).toBe(1);
    expect(bumps(() => ps.restore('bob', '/', FULL))).toBe(1);
    expect(bumps(() => ps.clear('alice', '/'))).toBe(1);
    expect(bumps(() => ps.clear('alice', '/'))).toBe(0);
    expect(bumps(() => ps.setTopic('bob', '/', { exchange: 'amq.topic', write: '.*', read: '.*' }))).toBe(1);
    expect(bumps(() => ps.clearTopic('bob', '/', 'other'))).toBe(0);
    expect(bumps(() => ps.clearTopic('bob', '/'))).toBe(1);
    expect(bumps(() => ps.forget({ user: 'bob' }))).toBe(1);
    expect(bumps(() => expect(() => ps.set('alice', '/', { ...FULL, read: '[' })).toThrow())).toBe(0);
    expect(ps.get('alice', '/')).toBeUndefined();
  });

  it('writes set and clear to the store, and not what recovery restores', () => {
    const tables = new MemoryDefinitionTables();
    const ps = new Permissions();
    ps.storage = new MemoryDefinitions(tables, () => {});
    ps.restore('restored', '/', FULL);
    ps.restoreTopic('restored', '/', { exchange: 'amq.topic', write: '.*', read: '.*' });
    ps.set('alice', 'v', { configure: '^a', write: '', read: '.*' });
    ps.setTopic('alice', 'v', { exchange: 'amq.topic', write: '^k', read: '' });
    expect([...tables.permissions.values()]).toEqual([{ user: 'alice', vhost: 'v', configure: '^a', write: '', read: '.*' }]);
    expect([...tables.topicPermissions.values()]).toEqual([{ user: 'alice', vhost: 'v', exchange: 'amq.topic', write: '^k', read: '' }]);
    ps.clear('alice', 'v');
    ps.clearTopic('alice', 'v', 'amq.topic');
    expect([tables.permissions.size, tables.topicPermissions.size]).toEqual([0, 0]);
  });

  it('forgets a user or a vhost everywhere', () => {
    const ps = new Permissions();
    for (const user of ['alice', 'bob']) for (const vhost of ['/', 'v']) ps.set(user, vhost, FULL);
    ps.forget({ vhost: 'v' });
    ps.forget({ user: 'bob' });
    expect(ps.list().map((e) => `${e.user}@${e.vhost}`)).toEqual(['alice@/']);
  });
});

describe('Access (a user in one vhost)', () => {
  it("refuses with RabbitMQ's text, checks the default exchange as amq.default, and sees changes at once", () => {
    const ps = new Permissions();
    ps.set('alice', '/', { configure: '^alice-', write: '^amq\\.default$', read: '' });
    const a = new Access(alice, '/', ps);
    expect(a.hasVhostAccess()).toBe(true);
    expect(outcome(() => a.check('queue', 'alice-q', 'configure'))).toBe('ok');
    expect(outcome(() => a.check('queue', 'bob-q', 'configure'))).toBe("ACCESS_REFUSED - access to queue 'bob-q' in vhost '/' refused for user 'alice'");
    expect(outcome(() => a.check('exchange', '', 'write'))).toBe('ok');
    expect(outcome(() => a.check('exchange', '', 'read'))).toBe(
      "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'alice'",
    );
    ps.set('alice', '/', FULL);
    expect(outcome(() => a.check('queue', 'bob-q', 'configure'))).toBe('ok');
    ps.clear('alice', '/');
    expect(a.hasVhostAccess()).toBe(false);
    expect(outcome(() => a.check('queue', 'alice-q', 'read'))).toMatch(/^ACCESS_REFUSED/);
  });

  it('topic permissions expand {username}, {vhost} and {client_id}; they apply to topic exchanges that have some', () => {
    const ps = new Permissions();
    ps.set('alice', 'v', FULL);
    ps.setTopic('alice', 'v', { exchange: 'amq.topic', write: '^{username}\\.{vhost}\\.', read: '^{client_id}\\.' });
    const a = new Access(alice, 'v', ps, 'c1');
    expect(outcome(() => a.checkTopic(topic, 'alice.v.x', 'write'))).toBe('ok');
    expect(outcome(() => a.checkTopic(topic, 'bob.v.x', 'write'))).toBe(
      "ACCESS_REFUSED - access to topic 'bob.v.x' in exchange 'amq.topic' in vhost 'v' refused for user 'alice'",
    );
    expect(outcome(() => a.checkTopic(topic, 'c1.x', 'read'))).toBe('ok');
    expect(outcome(() => a.checkTopic(topic, 'c2.x', 'read'))).toMatch(/^ACCESS_REFUSED - access to topic 'c2.x'/);
    // No topic permissions for this exchange, or not a topic exchange: anything goes.
    expect(outcome(() => a.checkTopic({ name: 'other', type: 'topic' }, 'bob.v.x', 'write'))).toBe('ok');
    expect(outcome(() => a.checkTopic({ name: 'amq.topic', type: 'direct' }, 'bob.v.x', 'write'))).toBe('ok');
    // An empty topic pattern allows only the empty routing key.
    ps.setTopic('alice', 'v', { exchange: 'amq.topic', write: '', read: '' });
    expect([outcome(() => a.checkTopic(topic, '', 'write')), outcome(() => a.checkTopic(topic, 'k', 'write'))]).toEqual([
      'ok',
      "ACCESS_REFUSED - access to topic 'k' in exchange 'amq.topic' in vhost 'v' refused for user 'alice'",
    ]);
  });

  it('takes the impersonator tag at creation (login), as RabbitMQ keeps the user record of the login', () => {
    const user = new User('imp', hashPassword('pw'), 'rabbit_password_hashing_sha256', ['impersonator']);
    const ps = new Permissions();
    const a = new Access(user, '/', ps);
    user.tags = [];
    expect(a.impersonator).toBe(true);
    expect(new Access(user, '/', ps).impersonator).toBe(false);
  });
});
