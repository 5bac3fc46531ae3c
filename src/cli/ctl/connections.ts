/**
 * Connections, channels and consumers: list_connections, list_channels (all vhosts, as
 * rabbitmqctl), list_consumers (-p), close_connection. rabbitmqctl names connections and channels
 * by Erlang pid; the API names them by `name`, which is what `pid` and `channel_pid` show here
 * and what close_connection takes.
 */
import type { Command } from 'commander';
import { CtlError, EXIT, seg } from './client.js';
import { run } from './context.js';
import { list } from './list.js';
import { at, type ColumnSpec } from './output.js';

const CONNECTION_COLUMNS: ColumnSpec = {
  keys: [
    'pid', 'name', 'port', 'host', 'peer_port', 'peer_host', 'ssl', 'ssl_protocol', 'ssl_key_exchange', 'ssl_cipher', 'ssl_hash',
    'peer_cert_subject', 'peer_cert_issuer', 'peer_cert_validity', 'state', 'channels', 'protocol', 'auth_mechanism', 'user',
    'vhost', 'timeout', 'frame_max', 'channel_max', 'client_properties', 'recv_oct', 'recv_cnt', 'send_oct', 'send_cnt',
    'send_pend', 'connected_at', 'node', 'type',
  ],
  defaults: ['user', 'peer_host', 'peer_port', 'state'],
  derived: { pid: at('name') },
};

const CHANNEL_COLUMNS: ColumnSpec = {
  keys: [
    'pid', 'connection', 'name', 'number', 'user', 'vhost', 'transactional', 'confirm', 'consumer_count',
    'messages_unacknowledged', 'messages_uncommitted', 'acks_uncommitted', 'messages_unconfirmed', 'prefetch_count',
    'global_prefetch_count', 'state', 'node',
  ],
  defaults: ['pid', 'user', 'consumer_count', 'messages_unacknowledged'],
  derived: { pid: at('name'), connection: at('connection_details.name') },
};

const CONSUMER_COLUMNS: ColumnSpec = {
  keys: ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'activity_status', 'arguments', 'exclusive'],
  defaults: ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'arguments'],
  derived: { queue_name: at('queue.name'), channel_pid: at('channel_details.name') },
};

export function registerConnections(ctl: Command): void {
  ctl
    .command('list_connections')
    .argument('[columns...]', `info keys: ${CONNECTION_COLUMNS.keys.join(' ')}`)
    .description('lists the client connections of every vhost (default columns: user peer_host peer_port state)')
    .action(run((c, asked) => list(c, { spec: CONNECTION_COLUMNS, asked, banners: ['Listing connections ...'], path: '/api/connections', missing: 'empty' })));

  ctl
    .command('list_channels')
    .argument('[columns...]', `info keys: ${CHANNEL_COLUMNS.keys.join(' ')}`)
    .description('lists the channels of every vhost (default columns: pid user consumer_count messages_unacknowledged)')
    .action(run((c, asked) => list(c, { spec: CHANNEL_COLUMNS, asked, banners: ['Listing channels ...'], path: '/api/channels', missing: 'empty' })));

  ctl
    .command('list_consumers')
    .argument('[columns...]', `info keys: ${CONSUMER_COLUMNS.keys.join(' ')}`)
    .description('lists the consumers of the vhost (-p)')
    .action(
      run((c, asked) =>
        list(c, {
          spec: CONSUMER_COLUMNS,
          asked,
          banners: [`Listing consumers in vhost ${c.vhost} ...`],
          path: `/api/consumers/${seg(c.vhost)}`,
          missing: 'empty',
        }),
      ),
    );

  ctl
    .command('close_connection')
    .argument('<connection>', 'the connection name, as list_connections name shows it')
    .argument('<explanation>', 'the reason given to the client')
    .description('closes a client connection with a reason (connection.close 320 CONNECTION_FORCED)')
    .action(
      run(async (c, [name = '', reason = '']) => {
        c.out.info(`Closing connection ${name}, reason: ${reason}...`);
        await c.api.delete(`/api/connections/${seg(name)}`, {
          // A header carries bytes: the reason's UTF-8 as they are (RabbitMQ reads them so), no line breaks.
          headers: { 'x-reason': Buffer.from(reason.replace(/[\r\n]+/g, ' '), 'utf8').toString('latin1') },
          notFound: () => new CtlError(EXIT.unavailable, `Connection "${name}" does not exist`),
        });
      }),
    );
}
