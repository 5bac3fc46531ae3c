/**
 * Permissions and topic permissions: set_, clear_ and list_ (per vhost, and per user for the
 * plain ones). The API answers 400 vhost_or_user_not_found for either missing; rabbitmqctl tells
 * them apart (67 for the user, 69 for the vhost), so the user is looked up to say which.
 */
import type { Command } from 'commander';
import { CtlError, EXIT, noUser, noVhost, reasonOf, seg, type ApiAnswer } from './client.js';
import { run, type Ctl } from './context.js';
import { list } from './list.js';
import type { ColumnSpec } from './output.js';

const VHOST_PERMISSIONS: ColumnSpec = { keys: ['user', 'configure', 'write', 'read'], defaults: ['user', 'configure', 'write', 'read'] };
const USER_PERMISSIONS: ColumnSpec = { keys: ['vhost', 'configure', 'write', 'read'], defaults: ['vhost', 'configure', 'write', 'read'] };
const VHOST_TOPIC_PERMISSIONS: ColumnSpec = { keys: ['user', 'exchange', 'write', 'read'], defaults: ['user', 'exchange', 'write', 'read'] };
const USER_TOPIC_PERMISSIONS: ColumnSpec = { keys: ['vhost', 'exchange', 'write', 'read'], defaults: ['vhost', 'exchange', 'write', 'read'] };

/** PUT or DELETE of a user's permissions in a vhost, with rabbitmqctl's errors for a missing user or vhost. */
async function change(c: Ctl, method: 'PUT' | 'DELETE', path: string, user: string, body?: unknown): Promise<void> {
  const answer: ApiAnswer = await c.api.request(method, path, body);
  if (answer.status >= 200 && answer.status < 300) return;
  if (answer.status === 404 || (answer.status === 400 && reasonOf(answer) === 'vhost_or_user_not_found')) {
    if ((await c.api.find(`/api/users/${seg(user)}`)) === undefined) throw new CtlError(EXIT.noUser, `User ${user} does not exist`);
    if ((await c.api.find(`/api/vhosts/${seg(c.vhost)}`)) === undefined) throw new CtlError(EXIT.unavailable, `Virtual host ${c.vhost} does not exist`);
    // Both exist: there was nothing to clear, which rabbitmqctl does not mind.
    if (method === 'DELETE') return;
  }
  throw c.api.failure(answer);
}

export function registerPermissions(ctl: Command): void {
  ctl
    .command('set_permissions')
    .argument('<username>')
    .argument('<conf>', 'regular expression of the resources the user may configure')
    .argument('<write>', 'regular expression of the resources the user may write to')
    .argument('<read>', 'regular expression of the resources the user may read from')
    .description("sets a user's permissions in the vhost (-p)")
    .action(
      run(async (c, [user = '', configure, write, read]) => {
        c.out.info(`Setting permissions for user "${user}" in vhost "${c.vhost}" ...`);
        await change(c, 'PUT', `/api/permissions/${seg(c.vhost)}/${seg(user)}`, user, { configure, write, read });
      }),
    );

  ctl
    .command('clear_permissions')
    .argument('<username>')
    .description("removes a user's permissions in the vhost (-p)")
    .action(
      run(async (c, [user = '']) => {
        c.out.info(`Clearing permissions for user "${user}" in vhost "${c.vhost}" ...`);
        await change(c, 'DELETE', `/api/permissions/${seg(c.vhost)}/${seg(user)}`, user);
      }),
    );

  ctl
    .command('list_permissions')
    .argument('[columns...]')
    .description('lists the permissions of the users in the vhost (-p)')
    .action(
      run((c, asked) =>
        list(c, {
          spec: VHOST_PERMISSIONS,
          asked,
          banners: [`Listing permissions for vhost "${c.vhost}" ...`],
          path: `/api/vhosts/${seg(c.vhost)}/permissions`,
          missing: noVhost(c.vhost),
        }),
      ),
    );

  ctl
    .command('list_user_permissions')
    .argument('<username>')
    .description("lists a user's permissions in every vhost")
    .action(
      run((c, [user = '']) =>
        list(c, {
          spec: USER_PERMISSIONS,
          asked: [],
          banners: [`Listing permissions for user "${user}" ...`],
          path: `/api/users/${seg(user)}/permissions`,
          missing: noUser(user),
        }),
      ),
    );

  ctl
    .command('set_topic_permissions')
    .argument('<username>')
    .argument('<exchange>', 'the topic exchange the permissions apply to')
    .argument('<write>', 'regular expression of the routing keys the user may publish with')
    .argument('<read>', 'regular expression of the routing keys the user may bind with')
    .description("sets a user's topic permissions on an exchange of the vhost (-p)")
    .action(
      run(async (c, [user = '', exchange = '', write, read]) => {
        c.out.info(`Setting topic permissions on "${exchange}" for user "${user}" in vhost "${c.vhost}" ...`);
        await change(c, 'PUT', `/api/topic-permissions/${seg(c.vhost)}/${seg(user)}`, user, { exchange, write, read });
      }),
    );

  ctl
    .command('clear_topic_permissions')
    .argument('<username>')
    .argument('[exchange]', 'only those on this exchange')
    .description("removes a user's topic permissions in the vhost (-p)")
    .action(
      run(async (c, [user = '', exchange]) => {
        const on = exchange === undefined ? '' : ` on "${exchange}"`;
        c.out.info(`Clearing topic permissions${on} for user "${user}" in vhost "${c.vhost}" ...`);
        const path = `/api/topic-permissions/${seg(c.vhost)}/${seg(user)}${exchange === undefined ? '' : `/${seg(exchange)}`}`;
        await change(c, 'DELETE', path, user);
      }),
    );

  ctl
    .command('list_topic_permissions')
    .argument('[columns...]')
    .description('lists the topic permissions of the users in the vhost (-p)')
    .action(
      run((c, asked) =>
        list(c, {
          spec: VHOST_TOPIC_PERMISSIONS,
          asked,
          banners: [`Listing topic permissions for vhost "${c.vhost}" ...`],
          path: `/api/vhosts/${seg(c.vhost)}/topic-permissions`,
          missing: noVhost(c.vhost),
        }),
      ),
    );

  ctl
    .command('list_user_topic_permissions')
    .argument('<username>')
    .description("lists a user's topic permissions in every vhost")
    .action(
      run((c, [user = '']) =>
        list(c, {
          spec: USER_TOPIC_PERMISSIONS,
          asked: [],
          banners: [`Listing topic permissions for user "${user}" ...`],
          path: `/api/users/${seg(user)}/topic-permissions`,
          missing: noUser(user),
        }),
      ),
    );
}
