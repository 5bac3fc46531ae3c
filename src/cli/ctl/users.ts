/**
 * Users: list_users, add_user, delete_user, change_password, set_user_tags. The API's PUT of a
 * user replaces it whole, so the verbs that change one thing read the user first and send the
 * rest back (the password hash for set_user_tags, the tags for change_password).
 */
import type { Command } from 'commander';
import { CtlError, EXIT, noUser, seg } from './client.js';
import { run } from './context.js';
import { list } from './list.js';
import { at, type ColumnSpec } from './output.js';

const USER_COLUMNS: ColumnSpec = {
  keys: ['user', 'tags'],
  defaults: ['user', 'tags'],
  derived: { user: at('name') },
};

/** A user's tags as the API gives them: an array (3.10), or a comma-separated string (older). */
function tagsOf(user: Record<string, unknown>): string[] {
  const tags = user['tags'];
  if (Array.isArray(tags)) return tags.map(String);
  if (typeof tags === 'string') return tags.split(',').filter((t) => t !== '');
  return [];
}

export function registerUsers(ctl: Command): void {
  ctl
    .command('list_users')
    .argument('[columns...]', `info keys: ${USER_COLUMNS.keys.join(' ')}`)
    .description('lists the users and their tags')
    .action(run((c, asked) => list(c, { spec: USER_COLUMNS, asked, banners: ['Listing users ...'], path: '/api/users', missing: 'empty' })));

  ctl
    .command('add_user')
    .argument('<username>')
    .argument('<password>')
    .description('creates a user (with no tags and no permissions)')
    .action(
      run(async (c, [user = '', password = '']) => {
        c.out.info(`Adding user "${user}" ...`);
        // PUT would replace an existing user; rabbitmqctl refuses instead.
        if ((await c.api.find(`/api/users/${seg(user)}`)) !== undefined) throw new CtlError(EXIT.software, `User "${user}" already exists`);
        await c.api.put(`/api/users/${seg(user)}`, { password, tags: '' });
        c.out.result(`Done. Don't forget to grant the user permissions to some virtual hosts! See 'warren ctl set_permissions --help' to learn more.`);
      }),
    );

  ctl
    .command('delete_user')
    .argument('<username>')
    .description('deletes a user (and closes its connections)')
    .action(
      run(async (c, [user = '']) => {
        c.out.info(`Deleting user "${user}" ...`);
        await c.api.delete(`/api/users/${seg(user)}`, { notFound: noUser(user) });
      }),
    );

  ctl
    .command('change_password')
    .argument('<username>')
    .argument('<new_password>')
    .description("changes a user's password")
    .action(
      run(async (c, [user = '', password = '']) => {
        c.out.info(`Changing password for user "${user}" ...`);
        const found = await c.api.find(`/api/users/${seg(user)}`);
        if (found === undefined) throw noUser(user)();
        await c.api.put(`/api/users/${seg(user)}`, { password, tags: tagsOf(found).join(',') });
      }),
    );

  ctl
    .command('set_user_tags')
    .argument('<username>')
    .argument('[tags...]', 'administrator, monitoring, policymaker, management, or others; none clears them')
    .description("sets a user's tags (replacing the ones it has)")
    .action(
      run(async (c, [user = '', ...tags]) => {
        c.out.info(`Setting tags for user "${user}" to [${tags.join(', ')}] ...`);
        const found = await c.api.find(`/api/users/${seg(user)}`);
        if (found === undefined) throw noUser(user)();
        const hash = found['password_hash'];
        const body: Record<string, unknown> = { tags: tags.join(',') };
        // The same hash, so the password stays; a user without one stays without.
        if (typeof hash === 'string' && hash !== '') {
          body['password_hash'] = hash;
          if (typeof found['hashing_algorithm'] === 'string') body['hashing_algorithm'] = found['hashing_algorithm'];
        }
        await c.api.put(`/api/users/${seg(user)}`, body);
      }),
    );
}
