/** "Move messages" (RabbitMQ needs the shovel plugin; Warren moves them itself): POST /api/warren/queues/{vh}/{q}/move. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { Field, IfAvailable, Section, StatusLine } from '../components/common';
import { useAction } from '../hooks';

export function MoveMessages({ vhost, queue, onDone }: { vhost: string; queue: string; onDone: () => void }): JSX.Element {
  const [destination, setDestination] = useState('');
  const [count, setCount] = useState('');
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const body = { destination, ...(count.trim() === '' ? {} : { count: Number(count) }) };
    void run(
      () => api.post<{ moved: number }>(path`warren/queues/${vhost}/${queue}/move`, body),
      (r) => `Moved ${r.moved} message${r.moved === 1 ? '' : 's'} to '${destination}'.`,
    ).then(onDone);
  };
  return (
    <Section title="Move messages" open={false}>
      <IfAvailable probe={path`warren/queues/${vhost}/${queue}/move`} feature="Moving messages">
      <p class="hint">Moves ready messages, oldest first, to another queue of this virtual host.</p>
      <form onSubmit={submit} aria-label="Move messages" class="form">
        <Field label="Destination queue" value={destination} set={setDestination} required />
        <Field label="Number of messages (empty: all)" value={count} set={setCount} type="number" min={1} />
        <button type="submit" disabled={busy}>
          Move messages
        </button>
        <StatusLine status={status} />
      </form>
      </IfAvailable>
    </Section>
  );
}
