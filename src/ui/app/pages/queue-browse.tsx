/** "Browse messages" (Warren's extra): ready messages in order, without taking them. GET /api/warren/queues/{vh}/{q}/messages. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { ErrorNote, Field, IfAvailable, Section, Select, Table } from '../components/common';
import { propsText, type ApiMessage } from '../components/message-view';
import { num } from '../format';

export function BrowseMessages({ vhost, queue }: { vhost: string; queue: string }): JSX.Element {
  const [offset, setOffset] = useState('0');
  const [count, setCount] = useState('10');
  const [encoding, setEncoding] = useState('auto');
  const [messages, setMessages] = useState<ApiMessage[] | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setMessages(await api.get<ApiMessage[]>(path`warren/queues/${vhost}/${queue}/messages` + `?offset=${Number(offset)}&count=${Number(count)}&encoding=${encoding}&truncate=50000`));
    } catch (err) {
      setMessages(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Browse messages" open={false}>
      <IfAvailable probe={path`warren/queues/${vhost}/${queue}/messages`} feature="Browsing messages">
      <p class="hint">Shows ready messages in queue order and leaves them in the queue (no redelivery, no ack).</p>
      <form onSubmit={(e) => void submit(e)} aria-label="Browse messages" class="form">
        <Field label="From position" value={offset} set={setOffset} type="number" min={0} />
        <Field label="Messages" value={count} set={setCount} type="number" min={1} />
        <Select label="Encoding" value={encoding} set={setEncoding} options={[['auto', 'Auto string / base64'], ['base64', 'base64']]} />
        <button type="submit" disabled={busy}>
          Browse
        </button>
      </form>
      <ErrorNote error={error} />
      {messages === null ? null : messages.length === 0 ? (
        <p class="muted">No ready messages at this position.</p>
      ) : (
        <Table
          label="Queued messages"
          head={['Position', 'Exchange', 'Routing key', 'Redelivered', 'Properties', 'Payload']}
          rows={messages.map((m, i) => [
            String(m.position ?? Number(offset) + i),
            m.exchange === '' ? '(AMQP default)' : m.exchange,
            <code>{m.routing_key}</code>,
            m.redelivered ? '●' : '○',
            <span class="props">{propsText(m.properties)}</span>,
            <>
              <span class="muted">
                {num(m.payload_bytes)} bytes, {m.payload_encoding}
              </span>
              <pre class="payload">{m.payload}</pre>
            </>,
          ])}
        />
      )}
      </IfAvailable>
    </Section>
  );
}
