/**
 * "Trace" (Warren's extra): start a bounded trace in the vhost (routing-key pattern, optional
 * exchange, duration, message cap) and follow each traced message's path: publish, route,
 * enqueue, deliver, ack... PUT/GET/DELETE /api/warren/traces/{vh}/{name}.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { ErrorNote, Field, IfAvailable, Section, Select, StatusLine, Table } from '../components/common';
import { bytes, num, time } from '../format';
import { useAction, useApi } from '../hooks';

interface TraceEvent {
  at: number;
  type: string;
  exchange?: string;
  queue?: string;
  consumer_tag?: string;
  reason?: string;
}
interface TracedMessage {
  id: string | number;
  at: number;
  exchange: string;
  routing_key: string;
  payload_bytes: number;
  events: TraceEvent[];
}
interface Trace {
  name: string;
  vhost: string;
  pattern: string;
  exchange?: string;
  state: 'running' | 'finished';
  started: number;
  ends_at: number;
  max_messages: number;
  message_count: number;
  messages?: TracedMessage[];
}

export function TracePanel({ vhost, queue }: { vhost: string; queue: string }): JSX.Element {
  return (
    <Section title="Trace" open={false}>
      <IfAvailable probe={path`warren/traces/${vhost}`} feature="Tracing">
        <Traces vhost={vhost} queue={queue} />
      </IfAvailable>
    </Section>
  );
}

function Traces({ vhost, queue }: { vhost: string; queue: string }): JSX.Element {
  const traces = useApi(() => api.get<Trace[]>(path`warren/traces/${vhost}`), `traces:${vhost}`, 3000);
  const [shown, setShown] = useState<string | null>(null);
  const [pattern, setPattern] = useState('#');
  const [exchange, setExchange] = useState('');
  const [seconds, setSeconds] = useState('60');
  const [max, setMax] = useState('100');
  const start = useAction();
  const drop = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const name = `ui-${queue}-${Date.now()}`;
    const body = { pattern, ...(exchange === '' ? {} : { exchange }), duration: Number(seconds), max_messages: Number(max) };
    void start.run(() => api.put(path`warren/traces/${vhost}/${name}`, body), `Trace '${name}' started.`).then((ok) => {
      if (ok) setShown(name);
      traces.reload();
    });
  };
  const remove = (name: string): void =>
    void drop.run(() => api.del(path`warren/traces/${vhost}/${name}`)).then(() => {
      if (shown === name) setShown(null);
      traces.reload();
    });
  return (
    <>
      <p class="hint">Records, for a while or up to a number of messages, every message published in this virtual host whose routing key matches the pattern (a topic pattern), and what became of it.</p>
      <form onSubmit={submit} aria-label="Start a trace" class="form">
        <Field label="Routing key pattern" value={pattern} set={setPattern} required />
        <Field label="Exchange (empty: all)" value={exchange} set={setExchange} />
        <Field label="Duration (seconds)" value={seconds} set={setSeconds} type="number" min={1} />
        <Field label="Max messages" value={max} set={setMax} type="number" min={1} />
        <button type="submit" disabled={start.busy}>
          Start trace
        </button>
        <StatusLine status={start.status} />
      </form>
      <ErrorNote error={traces.error} />
      <StatusLine status={drop.status} />
      <Table
        label="Traces"
        empty="No traces in this virtual host."
        head={['Name', 'Pattern', 'Exchange', 'State', 'Started', 'Ends', 'Messages', '']}
        rows={(traces.data ?? []).map((t) => [
          <button type="button" class="link" onClick={() => setShown(t.name)}>
            {t.name}
          </button>,
          <code>{t.pattern}</code>,
          t.exchange ?? '(all)',
          t.state,
          time(t.started),
          time(t.ends_at),
          `${num(t.message_count)} / ${num(t.max_messages)}`,
          <button type="button" class="small danger" onClick={() => remove(t.name)} aria-label={`Delete trace ${t.name}`}>
            Delete
          </button>,
        ])}
      />
      {shown === null ? null : <TraceView vhost={vhost} name={shown} queue={queue} />}
    </>
  );
}

function TraceView({ vhost, name, queue }: { vhost: string; name: string; queue: string }): JSX.Element {
  const t = useApi(() => api.get<Trace>(path`warren/traces/${vhost}/${name}`), `trace:${vhost}:${name}`, 2000);
  const [only, setOnly] = useState('queue');
  const all = t.data?.messages ?? [];
  const messages = only === 'queue' ? all.filter((m) => m.events.some((e) => e.queue === queue)) : all;
  return (
    <div class="trace">
      <h3>
        Trace {name} {t.data === undefined ? '' : `(${t.data.state}, ${num(t.data.message_count)} messages)`}
      </h3>
      <ErrorNote error={t.error} />
      <Select label="Show" value={only} set={setOnly} options={[['queue', `Messages that reached '${queue}'`], ['all', 'All traced messages']]} />
      {messages.length === 0 ? <p class="muted">No traced messages yet: publish some.</p> : null}
      {messages.map((m) => (
        <article key={m.id} class="message" aria-label={`Traced message ${m.id}`}>
          <div>
            <b>{time(m.at)}</b> {m.exchange === '' ? '(AMQP default)' : m.exchange} → <code>{m.routing_key}</code> <span class="muted">{bytes(m.payload_bytes)}</span>
          </div>
          <ol class="events">
            {m.events.map((e, i) => (
              <li key={i}>
                <span class="type">{e.type}</span>
                {[e.exchange === undefined ? '' : `exchange ${e.exchange === '' ? '(default)' : e.exchange}`, e.queue === undefined ? '' : `queue ${e.queue}`, e.consumer_tag === undefined ? '' : `consumer ${e.consumer_tag}`, e.reason ?? '']
                  .filter((x) => x !== '')
                  .join(', ')}{' '}
                <span class="muted">+{e.at - m.at} ms</span>
              </li>
            ))}
          </ol>
        </article>
      ))}
    </div>
  );
}
