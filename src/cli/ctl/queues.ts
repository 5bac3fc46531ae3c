/**
 * Queues, exchanges and bindings: list_queues, list_exchanges, list_bindings, purge_queue,
 * delete_queue, with rabbitmqctl's info keys, banners and errors.
 */
import type { Command } from 'commander';
import { CtlError, EXIT, reasonOf, seg } from './client.js';
import { run } from './context.js';
import { list } from './list.js';
import { at, type ColumnSpec } from './output.js';

const QUEUE_COLUMNS: ColumnSpec = {
  keys: [
    'name', 'durable', 'auto_delete', 'arguments', 'policy', 'pid', 'owner_pid', 'exclusive', 'exclusive_consumer_pid',
    'exclusive_consumer_tag', 'messages_ready', 'messages_unacknowledged', 'messages', 'messages_ready_ram',
    'messages_unacknowledged_ram', 'messages_ram', 'messages_persistent', 'message_bytes', 'message_bytes_ready',
    'message_bytes_unacknowledged', 'message_bytes_ram', 'message_bytes_persistent', 'head_message_timestamp',
    'disk_reads', 'disk_writes', 'consumers', 'consumer_utilisation', 'consumer_capacity', 'memory', 'slave_pids',
    'synchronised_slave_pids', 'state', 'type', 'leader', 'members', 'online', 'vhost', 'node',
  ],
  defaults: ['name', 'messages'],
  // rabbitmqctl: leader/members/online are a quorum queue's (empty for classic); slave_pids and
  // synchronised_slave_pids a mirrored classic queue's, shown here by node (Warren has no pids).
  derived: {
    owner_pid: at('owner_pid_details.name'),
    slave_pids: at('slave_nodes'),
    synchronised_slave_pids: at('synchronised_slave_nodes'),
  },
};

const EXCHANGE_COLUMNS: ColumnSpec = {
  keys: ['name', 'type', 'durable', 'auto_delete', 'internal', 'arguments', 'policy', 'vhost'],
  defaults: ['name', 'type'],
};

const BINDING_COLUMNS: ColumnSpec = {
  keys: ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments', 'properties_key', 'vhost'],
  defaults: ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments'],
  derived: { source_name: at('source'), source_kind: () => 'exchange', destination_name: at('destination'), destination_kind: at('destination_type') },
};

export function registerQueues(ctl: Command): void {
  ctl
    .command('list_queues')
    .argument('[columns...]', `info keys: ${QUEUE_COLUMNS.keys.join(' ')}`)
    .description('lists the queues of a vhost (default columns: name messages)')
    .action(
      run((c, asked) =>
        list(c, {
          spec: QUEUE_COLUMNS,
          asked,
          banners: [`Timeout: ${c.timeout.toFixed(1)} seconds ...`, `Listing queues for vhost ${c.vhost} ...`],
          path: `/api/queues/${seg(c.vhost)}`,
          missing: 'empty',
        }),
      ),
    );

  ctl
    .command('list_exchanges')
    .argument('[columns...]', `info keys: ${EXCHANGE_COLUMNS.keys.join(' ')}`)
    .description('lists the exchanges of a vhost (default columns: name type)')
    .action(
      run((c, asked) =>
        list(c, {
          spec: EXCHANGE_COLUMNS,
          asked,
          banners: [`Listing exchanges for vhost ${c.vhost} ...`],
          path: `/api/exchanges/${seg(c.vhost)}`,
          missing: 'empty',
        }),
      ),
    );

  ctl
    .command('list_bindings')
    .argument('[columns...]', `info keys: ${BINDING_COLUMNS.keys.join(' ')}`)
    .description('lists the bindings of a vhost')
    .action(
      run((c, asked) =>
        list(c, {
          spec: BINDING_COLUMNS,
          asked,
          banners: [`Listing bindings for vhost ${c.vhost}...`],
          path: `/api/bindings/${seg(c.vhost)}`,
          missing: 'empty',
        }),
      ),
    );

  ctl
    .command('purge_queue')
    .argument('<queue>')
    .description('removes the ready messages of a queue')
    .action(
      run(async (c, [queue = '']) => {
        c.out.info(`Purging queue '${queue}' in vhost '${c.vhost}' ...`);
        await c.api.delete(`/api/queues/${seg(c.vhost)}/${seg(queue)}/contents`, {
          notFound: () => new CtlError(EXIT.unavailable, `not_found: no queue '${queue}' in vhost '${c.vhost}'`),
        });
      }),
    );

  ctl
    .command('delete_queue')
    .argument('<queue>')
    .option('-e, --if-empty', 'delete only if the queue has no messages')
    .option('-u, --if-unused', 'delete only if the queue has no consumers')
    .description('deletes a queue')
    .action(
      run(async (c, [queue = ''], opts) => {
        const ifEmpty = opts['ifEmpty'] === true;
        const ifUnused = opts['ifUnused'] === true;
        const conditions = [...(ifEmpty ? ['if queue is empty '] : []), ...(ifUnused ? ['if queue is unused '] : [])];
        c.out.info(`Deleting queue '${queue}' on vhost '${c.vhost}' ${conditions.join('and ')}...`);
        const path = `/api/queues/${seg(c.vhost)}/${seg(queue)}`;
        // rabbitmqctl reports how many ready messages went with the queue; the API does not, so ask first.
        const found = await c.api.find(path);
        if (found === undefined) throw new CtlError(EXIT.usage, 'Queue not found');
        const query = [...(ifEmpty ? ['if-empty=true'] : []), ...(ifUnused ? ['if-unused=true'] : [])].join('&');
        const answer = await c.api.request('DELETE', query === '' ? path : `${path}?${query}`);
        if (answer.status === 404) throw new CtlError(EXIT.usage, 'Queue not found');
        if (answer.status === 400) {
          const reason = reasonOf(answer);
          if (/not empty/.test(reason)) throw new CtlError(EXIT.usage, 'Queue is not empty');
          if (/in use/.test(reason)) throw new CtlError(EXIT.usage, 'Queue is in use');
        }
        if (answer.status < 200 || answer.status >= 300) throw c.api.failure(answer);
        const ready = typeof found['messages_ready'] === 'number' ? found['messages_ready'] : 0;
        c.out.result(`Queue was successfully deleted with ${ready} ready messages`);
      }),
    );
}
