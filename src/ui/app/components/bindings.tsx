/**
 * Bindings of a queue (from exchanges to it) or of an exchange (from it to queues and exchanges,
 * and to it), with RabbitMQ's "Add binding" form and Unbind buttons: /api/bindings/{vh}/e/{x}/{q|e}/{d}.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { brief } from '../format';
import { href, useAction, useApi } from '../hooks';
import { ErrorNote, Field, parseArgs, Section, Select, StatusLine, Table, TextArea } from './common';

export interface Binding {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: Record<string, unknown>;
  properties_key: string;
}

const kind = (t: 'queue' | 'exchange'): string => (t === 'queue' ? 'q' : 'e');
const unbindPath = (b: Binding): string => path`bindings/${b.vhost}/e/${b.source}/` + `${kind(b.destination_type)}/` + path`${b.destination}/${b.properties_key}`;
const link = (type: 'queue' | 'exchange', vhost: string, name: string): JSX.Element =>
  name === '' ? <span>(AMQP default)</span> : <a href={href(type === 'queue' ? 'queues' : 'exchanges', vhost, name)}>{name}</a>;

/** For a queue (`of.type === 'queue'`) or an exchange: its bindings and a form to add one. */
export function Bindings({ vhost, of }: { vhost: string; of: { type: 'queue' | 'exchange'; name: string } }): JSX.Element {
  const isQueue = of.type === 'queue';
  const load = (): Promise<Binding[][]> =>
    isQueue
      ? Promise.all([api.get<Binding[]>(path`queues/${vhost}/${of.name}/bindings`)])
      : Promise.all([api.get<Binding[]>(path`exchanges/${vhost}/${of.name}/bindings/source`), api.get<Binding[]>(path`exchanges/${vhost}/${of.name}/bindings/destination`)]);
  const list = useApi(load, `bindings:${of.type}:${vhost}:${of.name}`);
  const unbind = useAction();
  const remove = (b: Binding): void => void unbind.run(() => api.del(unbindPath(b))).then(list.reload);
  const row = (b: Binding, other: JSX.Element): JSX.Element[] => [
    other,
    <code>{b.routing_key}</code>,
    <code>{brief(b.arguments) === '{}' ? '' : brief(b.arguments)}</code>,
    b.source === '' ? (
      <span class="muted">(Default exchange binding)</span>
    ) : (
      <button type="button" class="small danger" onClick={() => remove(b)} aria-label={`Unbind ${b.source} ${b.destination} ${b.routing_key}`}>
        Unbind
      </button>
    ),
  ];
  const [from, to] = list.data ?? [[], []];
  return (
    <Section title="Bindings">
      <ErrorNote error={list.error} />
      <StatusLine status={unbind.status} />
      {isQueue ? (
        <Table label="Bindings" empty="No bindings." head={['From', 'Routing key', 'Arguments', '']} rows={(from ?? []).map((b) => row(b, link('exchange', vhost, b.source)))} />
      ) : (
        <>
          <h3>This exchange → destinations</h3>
          <Table label="Bindings from this exchange" empty="No bindings." head={['To', 'Routing key', 'Arguments', '']} rows={(from ?? []).map((b) => row(b, link(b.destination_type, vhost, b.destination)))} />
          <h3>Sources → this exchange</h3>
          <Table label="Bindings to this exchange" empty="No bindings." head={['From', 'Routing key', 'Arguments', '']} rows={(to ?? []).map((b) => row(b, link('exchange', vhost, b.source)))} />
        </>
      )}
      <AddBinding vhost={vhost} of={of} onAdded={list.reload} />
    </Section>
  );
}

function AddBinding({ vhost, of, onAdded }: { vhost: string; of: { type: 'queue' | 'exchange'; name: string }; onAdded: () => void }): JSX.Element {
  const isQueue = of.type === 'queue';
  const [destType, setDestType] = useState('q');
  const [other, setOther] = useState('');
  const [key, setKey] = useState('');
  const [args, setArgs] = useState('');
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const p = isQueue ? path`bindings/${vhost}/e/${other}/q/${of.name}` : path`bindings/${vhost}/e/${of.name}/` + `${destType}/` + path`${other}`;
    void run(() => api.post(p, { routing_key: key, arguments: parseArgs(args) }), 'Binding added.').then((ok) => {
      if (ok) onAdded();
    });
  };
  return (
    <form onSubmit={submit} aria-label="Add binding" class="form">
      <h3>{isQueue ? 'Add binding to this queue' : 'Add binding from this exchange'}</h3>
      {isQueue ? null : <Select label="To" value={destType} set={setDestType} options={[['q', 'To queue'], ['e', 'To exchange']]} />}
      <Field label={isQueue ? 'From exchange' : destType === 'q' ? 'Queue name' : 'Exchange name'} value={other} set={setOther} required />
      <Field label="Routing key" value={key} set={setKey} />
      <TextArea label="Binding arguments (key=value per line)" value={args} set={setArgs} rows={2} />
      <button type="submit" disabled={busy}>
        Bind
      </button>
      <StatusLine status={status} />
    </form>
  );
}
