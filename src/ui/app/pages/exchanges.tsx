/** Exchanges (RabbitMQ's tab): a paged list and "Add a new exchange". */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { Check, ErrorNote, Field, parseArgs, Section, Select, StatusLine, Table, TextArea } from '../components/common';
import { usePaged } from '../components/paged';
import { rate } from '../format';
import { href, useAction, useApi } from '../hooks';
import { useVhost } from '../vhost';

export interface ExchangeRow {
  name: string;
  vhost: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
  policy?: string | null;
  message_stats?: Record<string, number | { rate?: number } | undefined>;
}

export const exRate = (s: ExchangeRow['message_stats'], k: string): string => rate((s?.[`${k}_details`] as { rate?: number } | undefined)?.rate ?? 0);

function features(x: ExchangeRow): string {
  return [x.durable ? 'D' : '', x.auto_delete ? 'AD' : '', x.internal ? 'I' : '', ...Object.keys(x.arguments).map((k) => k.replace(/^x-/, ''))].filter((f) => f !== '').join(' ');
}

export function ExchangesPage(): JSX.Element {
  const { list, controls } = usePaged<ExchangeRow>('exchanges', true);
  return (
    <>
      <h1>Exchanges</h1>
      <Section title="All exchanges">
        {controls}
        <ErrorNote error={list.error} />
        <Table
          label="Exchanges"
          empty="No exchanges."
          head={['Virtual host', 'Name', 'Type', 'Features', 'Message rate in', 'Message rate out']}
          rows={(list.data?.items ?? []).map((x) => [
            x.vhost,
            <a href={href('exchanges', x.vhost, x.name === '' ? 'amq.default' : x.name)}>{x.name === '' ? '(AMQP default)' : x.name}</a>,
            x.type,
            <span class="features">{features(x)}</span>,
            exRate(x.message_stats, 'publish_in'),
            exRate(x.message_stats, 'publish_out'),
          ])}
        />
      </Section>
      <AddExchange onAdded={list.reload} />
    </>
  );
}

function AddExchange({ onAdded }: { onAdded: () => void }): JSX.Element {
  const vhosts = useApi(() => api.get<{ name: string }[]>('vhosts'), 'vhosts', 0);
  const types = useApi(() => api.get<{ exchange_types?: { name: string }[] }>('overview'), 'types', 0);
  const chosen = useVhost().vhost;
  const [vhost, setVhost] = useState(chosen === '' ? '/' : chosen);
  const [name, setName] = useState('');
  const [type, setType] = useState('direct');
  const [durable, setDurable] = useState(true);
  const [autoDelete, setAutoDelete] = useState(false);
  const [internal, setInternal] = useState(false);
  const [args, setArgs] = useState('');
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const body = { type, durable, auto_delete: autoDelete, internal, arguments: parseArgs(args) };
    void run(() => api.put(path`exchanges/${vhost}/${name}`, body), `Exchange '${name}' added.`).then((ok) => {
      if (ok) {
        setName('');
        onAdded();
      }
    });
  };
  return (
    <Section title="Add a new exchange" open={false}>
      <form onSubmit={submit} aria-label="Add a new exchange" class="form">
        <Select label="Virtual host" value={vhost} set={setVhost} options={(vhosts.data ?? [{ name: '/' }]).map((v) => v.name)} />
        <Field label="Name" value={name} set={setName} required />
        <Select label="Type" value={type} set={setType} options={(types.data?.exchange_types ?? [{ name: 'direct' }, { name: 'fanout' }, { name: 'headers' }, { name: 'topic' }]).map((t) => t.name)} />
        <Check label="Durable" checked={durable} set={setDurable} />
        <Check label="Auto delete" checked={autoDelete} set={setAutoDelete} />
        <Check label="Internal" checked={internal} set={setInternal} />
        <TextArea label="Arguments (key=value per line)" value={args} set={setArgs} rows={2} />
        <p class="hint">alternate-exchange; x-delayed-type for x-delayed-message</p>
        <button type="submit" disabled={busy}>
          Add exchange
        </button>
        <StatusLine status={status} />
      </form>
    </Section>
  );
}
