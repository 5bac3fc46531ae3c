import { describe, expect, it } from 'vitest';
import { Access } from '../../../../src/broker/auth/access.js';
import { Permissions } from '../../../../src/broker/auth/permissions.js';
import { Users } from '../../../../src/broker/auth/users.js';

function setup(clientId?: string): { access: Access; permissions: Permissions; users: Users } {
  const users = new Users();
  const permissions = new Permissions();
  const user = users.add('u', 'p');
  permissions.set('u', 'v', { configure: '^conf-', write: '^(out|amq\\.default)$', read: '' });
  return { access: new Access(user, 'v', permissions, clientId), permissions, users };
}

const refusal = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'allowed';
};

describe('Access', () => {
  it('matches each permission against its regex, and an empty pattern against the empty name only', () => {
    const { access } = setup();
    expect(access.allowed('queue', 'conf-1', 'configure')).toBe(true);
    expect(access.allowed('queue', 'x-conf-1', 'configure')).toBe(false);
    expect(access.allowed('exchange', 'out', 'write')).toBe(true);
    expect(access.allowed('queue', 'anything', 'read')).toBe(false);
    expect(access.allowed('queue', '', 'read')).toBe(true);
  });

  it("checks the default exchange as 'amq.default' and names it so in the refusal", () => {
    const { access, permissions } = setup();
    expect(access.allowed('exchange', '', 'write')).toBe(true);
    permissions.set('u', 'v', { configure: '', write: '^out$', read: '' });
    expect(refusal(() => access.check('exchange', '', 'write'))).toBe(
      "ACCESS_REFUSED - access to exchange 'amq.default' in vhost 'v' refused for user 'u'",
    );
  });

  it('sees permission changes at the next check, and no vhost access once they are cleared', () => {
    const { access, permissions } = setup();
    expect(access.allowed('queue', 'q', 'configure')).toBe(false);
    permissions.set('u', 'v', { configure: '.*', write: '.*', read: '.*' });
    expect(access.allowed('queue', 'q', 'configure')).toBe(true);
    expect(access.hasVhostAccess()).toBe(true);
    permissions.clear('u', 'v');
    expect(access.hasVhostAccess()).toBe(false);
    expect(refusal(() => access.check('queue', 'q', 'read'))).toBe("ACCESS_REFUSED - access to queue 'q' in vhost 'v' refused for user 'u'");
  });

  it('applies topic permissions to topic exchanges only, with {username}, {vhost} and {client_id} expanded', () => {
    const { access, permissions } = setup('c1');
    const topic = { name: 't', type: 'topic' };
    expect(refusal(() => access.checkTopic(topic, 'anything', 'write'))).toBe('allowed'); // none set: allowed
    permissions.setTopic('u', 'v', { exchange: 't', write: '^{username}\\.{vhost}\\.{client_id}$', read: '^r\\.' });
    expect(refusal(() => access.checkTopic(topic, 'u.v.c1', 'write'))).toBe('allowed');
    expect(refusal(() => access.checkTopic(topic, 'u.v.c2', 'write'))).toBe(
      "ACCESS_REFUSED - access to topic 'u.v.c2' in exchange 't' in vhost 'v' refused for user 'u'",
    );
    expect(refusal(() => access.checkTopic(topic, 'r.1', 'read'))).toBe('allowed');
    expect(refusal(() => access.checkTopic({ name: 't', type: 'direct' }, 'x', 'read'))).toBe('allowed');
    expect(refusal(() => access.checkTopic({ name: 'other', type: 'topic' }, 'x', 'read'))).toBe('allowed');
  });

  it('keeps the tags its user had when it was made, as a RabbitMQ connection keeps its login tags', () => {
    const { access, users, permissions } = setup();
    users.setTags('u', ['impersonator']);
    expect(access.impersonator).toBe(false);
    expect(new Access(users.get('u')!, 'v', permissions).impersonator).toBe(true);
  });
});
