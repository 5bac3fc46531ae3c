/** Virtual hosts: list_vhosts, add_vhost, delete_vhost. */
import type { Command } from 'commander';
import { noVhost, seg } from './client.js';
import { run } from './context.js';
import { list } from './list.js';
import type { ColumnSpec } from './output.js';

const VHOST_COLUMNS: ColumnSpec = {
  keys: ['name', 'description', 'tags', 'default_queue_type', 'metadata', 'tracing', 'cluster_state'],
  defaults: ['name'],
};

export function registerVhosts(ctl: Command): void {
  ctl
    .command('list_vhosts')
    .argument('[columns...]', `info keys: ${VHOST_COLUMNS.keys.join(' ')}`)
    .description('lists the virtual hosts (default column: name)')
    .action(run((c, asked) => list(c, { spec: VHOST_COLUMNS, asked, banners: ['Listing vhosts ...'], path: '/api/vhosts', missing: 'empty' })));

  ctl
    .command('add_vhost')
    .argument('<vhost>')
    .option('--description <text>', 'description')
    .option('--tags <tags>', 'comma-separated tags')
    .option('--default-queue-type <type>', 'classic, quorum or stream')
    .description('creates a virtual host (an existing one is left as it is, unless metadata is given)')
    .action(
      run(async (c, [vhost = ''], opts) => {
        c.out.info(`Adding vhost "${vhost}" ...`);
        const body: Record<string, unknown> = {};
        if (typeof opts['description'] === 'string') body['description'] = opts['description'];
        if (typeof opts['tags'] === 'string') body['tags'] = opts['tags'];
        if (typeof opts['defaultQueueType'] === 'string') body['default_queue_type'] = opts['defaultQueueType'];
        // As rabbitmqctl: adding an existing vhost succeeds; a bare PUT could reset its metadata.
        if (Object.keys(body).length === 0 && (await c.api.find(`/api/vhosts/${seg(vhost)}`)) !== undefined) return;
        await c.api.put(`/api/vhosts/${seg(vhost)}`, body);
      }),
    );

  ctl
    .command('delete_vhost')
    .argument('<vhost>')
    .description('deletes a virtual host and everything in it')
    .action(
      run(async (c, [vhost = '']) => {
        c.out.info(`Deleting vhost "${vhost}" ...`);
        await c.api.delete(`/api/vhosts/${seg(vhost)}`, { notFound: noVhost(vhost) });
      }),
    );
}
