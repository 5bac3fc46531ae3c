/** A queue's page (RabbitMQ's layout): details, consumers, bindings, publish, get, and Warren's extras. */
import type { JSX } from 'preact';
import { api, path } from '../api';
import { ErrorNote, Facts, Loading, Section, StatusLine, Table } from '../components/common';
import { PublishForm } from '../components/publish';
import { brief, bytes, num, rate } from '../format';
import { href, useAction, useApi } from '../hooks';
import { Bindings, type Binding } from '../components/bindings';
import { Delayed } from '../components/delayed';
import { BrowseMessages } from './queue-browse';
import { GetMessages } from './queue-get';
import { MoveMessages } from './queue-move';
import { TracePanel } from './queue-trace';
import { statRate, type QueueRow } from './queues';

interface QueueDetail extends QueueRow {
  node?: string;
  message_bytes?: number;
  memory?: number;
  consumer_utilisation?: number | null;
  effective_policy_definition?: Record<string, unknown>;
  consumer_details?: { consumer_tag: string; channel_details?: { name?: string; peer_host?: string; peer_port?: number }; ack_required: boolean; exclusive: boolean; prefetch_count: number; active?: boolean }[];
}

export function QueuePage({ vhost, name }: { vhost: string; name: string }): JSX.Element {
  const q = useApi(() => api.get<QueueDetail>(path`queues/${vhost}/${name}`), `queue:${vhost}:${name}`);
  if (q.data === undefined) {
    return (
      <>
        <h1>Queue {name}</h1>
        {q.error === undefined ? <Loading /> : <ErrorNote error={q.error} />}
      </>
    );
  }
  const d = q.data;
  const s = d.message_stats;
  return (
    <>
      <h1>
        Queue <b>{name}</b> <span class="muted">in virtual host {vhost}</span>
      </h1>
      <ErrorNote error={q.error} />
      <Section title="Overview">
        <div class="two">
          <Facts
            rows={[
              ['Type', d.type ?? 'classic'],
              ['Features', [d.durable ? 'durable' : 'transient', d.auto_delete ? 'auto-delete' : '', d.exclusive === true ? 'exclusive' : ''].filter((x) => x !== '').join(', ')],
              ['Arguments', Object.entries(d.arguments).map(([k, v]) => `${k}: ${brief(v)}`).join(', ')],
              ['Policy', d.policy ?? ''],
              ['Effective policy definition', Object.keys(d.effective_policy_definition ?? {}).length === 0 ? '' : brief(d.effective_policy_definition)],
              ['Node', d.node ?? ''],
              ['State', d.state ?? ''],
              ['Consumers', num(d.consumers)],
              ['Consumer utilisation', d.consumer_utilisation == null ? '' : `${Math.round(d.consumer_utilisation * 100)}%`],
            ]}
          />
          <Facts
            rows={[
              ['Ready', <span data-testid="queue-ready">{num(d.messages_ready)}</span>],
              ['Unacked', num(d.messages_unacknowledged)],
              ['Total', <span data-testid="queue-total">{num(d.messages)}</span>],
              ['Message body bytes', bytes(d.message_bytes)],
              ['Memory', bytes(d.memory)],
              ['Incoming', rate(statRate(s, 'publish'))],
              ['Deliver / get', rate(statRate(s, 'deliver_get'))],
              ['Redelivered', rate(statRate(s, 'redeliver'))],
              ['Ack', rate(statRate(s, 'ack'))],
            ]}
          />
        </div>
      </Section>
      <Section title={`Consumers (${d.consumer_details?.length ?? 0})`} open={(d.consumer_details?.length ?? 0) > 0}>
        <Table
          label="Consumers"
          empty="No consumers."
          head={['Channel', 'Consumer tag', 'Ack required', 'Exclusive', 'Prefetch count', 'Active']}
          rows={(d.consumer_details ?? []).map((c) => [
            c.channel_details?.name ?? '',
            c.consumer_tag,
            c.ack_required ? '●' : '○',
            c.exclusive ? '●' : '○',
            String(c.prefetch_count),
            c.active === false ? '○' : '●',
          ])}
        />
      </Section>
      <Bindings vhost={vhost} of={{ type: 'queue', name }} />
      <PublishForm vhost={vhost} exchange="" routingKey={name} />
      <GetMessages vhost={vhost} queue={name} onDone={q.reload} />
      <BrowseMessages vhost={vhost} queue={name} />
      <MoveMessages vhost={vhost} queue={name} onDone={q.reload} />
      <QueueDelayed vhost={vhost} queue={name} />
      <TracePanel vhost={vhost} queue={name} />
      <DeletePurge vhost={vhost} name={name} onPurged={q.reload} />
    </>
  );
}

/** Delayed messages of the x-delayed-message exchanges bound to this queue. */
function QueueDelayed({ vhost, queue }: { vhost: string; queue: string }): JSX.Element {
  const sources = useApi(
    async () => {
      const [bindings, exchanges] = await Promise.all([
        api.get<Binding[]>(path`queues/${vhost}/${queue}/bindings`),
        api.get<{ name: string; type: string }[]>(path`exchanges/${vhost}` + '?columns=name,type'),
      ]);
      const delayed = new Set(exchanges.filter((x) => x.type === 'x-delayed-message').map((x) => x.name));
      return [...new Set(bindings.map((b) => b.source).filter((s) => delayed.has(s)))];
    },
    `delayed-sources:${vhost}:${queue}`,
    30_000,
  );
  return <Delayed vhost={vhost} exchanges={sources.data ?? []} />;
}

function DeletePurge({ vhost, name, onPurged }: { vhost: string; name: string; onPurged: () => void }): JSX.Element {
  const del = useAction();
  const purge = useAction();
  const remove = (): void => {
    if (!confirm(`Delete queue '${name}'?`)) return;
    void del.run(() => api.del(path`queues/${vhost}/${name}`)).then((ok) => {
      if (ok) location.hash = href('queues');
    });
  };
  const empty = (): void => {
    if (!confirm(`Purge all ready messages of '${name}'?`)) return;
    void purge.run(() => api.del(path`queues/${vhost}/${name}/contents`), 'Queue purged.').then(onPurged);
  };
  return (
    <>
      <Section title="Delete" open={false}>
        <button type="button" class="danger" onClick={remove} disabled={del.busy}>
          Delete Queue
        </button>
        <StatusLine status={del.status} />
      </Section>
      <Section title="Purge" open={false}>
        <button type="button" class="danger" onClick={empty} disabled={purge.busy}>
          Purge Messages
        </button>
        <StatusLine status={purge.status} />
      </Section>
    </>
  );
}
