/** "Get messages" (RabbitMQ's panel): POST /api/queues/{vh}/{q}/get with an ack mode. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { Field, Section, Select, StatusLine } from '../components/common';
import { MessageView, type ApiMessage } from '../components/message-view';
import { useAction } from '../hooks';

const ACK_MODES = [
  ['ack_requeue_true', 'Nack message requeue true'],
  ['ack_requeue_false', 'Automatic ack'],
  ['reject_requeue_true', 'Reject requeue true'],
  ['reject_requeue_false', 'Reject requeue false'],
] as const;

export function GetMessages({ vhost, queue, onDone }: { vhost: string; queue: string; onDone: () => void }): JSX.Element {
  const [ackmode, setAckmode] = useState('ack_requeue_true');
  const [encoding, setEncoding] = useState('auto');
  const [count, setCount] = useState('1');
  const [messages, setMessages] = useState<ApiMessage[] | null>(null);
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void run(async () => {
      const got = await api.post<ApiMessage[]>(path`queues/${vhost}/${queue}/get`, { count: Number(count), ackmode, encoding, truncate: 50000 });
      setMessages(got);
      onDone();
      return got;
    }, (got) => (got.length === 0 ? 'Queue is empty' : ''));
  };
  return (
    <Section title="Get messages" open={false}>
      <p class="warning">Warning: getting messages from a queue is a destructive action.</p>
      <form onSubmit={submit} aria-label="Get messages" class="form">
        <Select label="Ack Mode" value={ackmode} set={setAckmode} options={ACK_MODES} />
        <Select label="Encoding" value={encoding} set={setEncoding} options={[['auto', 'Auto string / base64'], ['base64', 'base64']]} />
        <Field label="Messages" value={count} set={setCount} type="number" min={1} />
        <button type="submit" disabled={busy}>
          Get Message(s)
        </button>
        <StatusLine status={status} />
      </form>
      {messages === null || messages.length === 0 ? null : (
        <div class="messages">
          <p>The server reported {messages[0]?.message_count ?? 0} messages remaining.</p>
          {messages.map((m, i) => (
            <MessageView key={i} m={m} title={`Message ${i + 1}`} />
          ))}
        </div>
      )}
    </Section>
  );
}
