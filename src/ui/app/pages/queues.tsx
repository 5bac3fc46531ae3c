/** Queues (RabbitMQ's "Queues and Streams" tab): a paged list and the "Add a new queue" form. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { Check, ErrorNote, Field, parseArgs, Section, Select, StatusLine, Table, TextArea } from '../components/common';
import { usePaged } from '../components/paged';
import { num, rate } from '../format';
import { href, useAction, useApi } from '../hooks';
import { useVhost } from '../vhost';

export interface QueueRow {
  name: string;
  vhost: string;
  type?: string;
  durable: boolean;
  auto_delete: boolean;
  exclusive?: boolean;
  arguments: Record<string, unknown>;
  policy?: string | null;
  state?: string;
  consumers?: number;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  message_stats?: Record<string, number | { rate?: number } | undefined>;
}

export const statRate = (s: QueueRow['message_stats'], key: string): number => (s?.[`${key}_details`] as { rate?: number } | undefined)?.rate ?? 0;

function features(q: QueueRow): string {
  const f: string[] = [];
  if (q.durable) f.push('D');
  if (q.auto_delete) f.push('AD');
  if (q.exclusive === true) f.push('Excl');
  for (const k of Object.keys(q.arguments)) f.push(k.replace(/^x-/, ''));
  return f.join(' ');
}

export function QueuesPage(): JSX.Element {
  const { list, controls } = usePaged<QueueRow>('queues', true);
  return (
    <>
      <h1>Queues</h1>
      <Section title="All queues">
        {controls}
        <ErrorNote error={list.error} />
        <Table
          label="Queues"
          empty="No queues."
          head={['Virtual host', 'Name', 'Type', 'Features', 'State', 'Ready', 'Unacked', 'Total', 'Incoming', 'Deliver / get', 'Ack']}
          rows={(list.data?.items ?? []).map((q) => [
            q.vhost,
            <a href={href('queues', q.vhost, q.name)}>{q.name}</a>,
            q.type ?? 'classic',
            <span class="features">{features(q)}</span>,
            q.state ?? '',
            num(q.messages_ready),
            num(q.messages_unacknowledged),
            num(q.messages),
            rate(statRate(q.message_stats, 'publish')),
            rate(statRate(q.message_stats, 'deliver_get')),
            rate(statRate(q.message_stats, 'ack')),
          ])}
        />
      </Section>
      <AddQueue onAdded={list.reload} />
    </>
  );
}

function AddQueue({ onAdded }: { onAdded: () => void }): JSX.Element {
  const vhosts = useApi(() => api.get<{ name: string }[]>('vhosts'), 'vhosts', 0);
  const chosen = useVhost().vhost;
  const [vhost, setVhost] = useState(chosen === '' ? '/' : chosen);
  const [type, setType] = useState('classic');
  const [name, setName] = useState('');
  const [durable, setDurable] = useState(true);
  const [autoDelete, setAutoDelete] = useState(false);
  const [args, setArgs] = useState('');
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const body = { durable, auto_delete: autoDelete, arguments: { ...parseArgs(args), ...(type === 'classic' ? {} : { 'x-queue-type': type }) } };
    void run(() => api.put(path`queues/${vhost}/${name}`, body), `Queue '${name}' added.`).then((ok) => {
      if (ok) {
        setName('');
        onAdded();
      }
    });
  };
  return (
    <Section title="Add a new queue" open={true}>
      <form onSubmit={submit} aria-label="Add a new queue" class="form">
        <Select label="Virtual host" value={vhost} set={setVhost} options={(vhosts.data ?? [{ name: '/' }]).map((v) => v.name)} />
        <Select label="Type" value={type} set={setType} options={['classic', 'quorum', 'stream']} />
        <Field label="Name" value={name} set={setName} required />
        <Check label="Durable" checked={durable} set={setDurable} />
        <Check label="Auto delete" checked={autoDelete} set={setAutoDelete} />
        <TextArea label="Arguments (key=value per line)" value={args} set={setArgs} rows={3} />
        <p class="hint">x-message-ttl, x-expires, x-max-length, x-max-length-bytes, x-overflow, x-dead-letter-exchange, x-dead-letter-routing-key, x-max-priority, x-queue-mode, x-single-active-consumer</p>
        <button type="submit" disabled={busy}>
          Add queue
        </button>
        <StatusLine status={status} />
      </form>
    </Section>
  );
}
