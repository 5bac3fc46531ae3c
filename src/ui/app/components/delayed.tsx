/**
 * Delayed messages (Warren's extra; RabbitMQ's delayed-message plugin shows none): those waiting in
 * the given x-delayed-message exchanges, with Cancel. GET/DELETE /api/warren/delayed/{vh}/{x}[/{id}].
 */
import type { JSX } from 'preact';
import { api, path } from '../api';
import { bytes, duration, time } from '../format';
import { useAction, useApi } from '../hooks';
import { ErrorNote, IfAvailable, Section, StatusLine, Table } from './common';

interface DelayedMessage {
  vhost: string;
  exchange: string;
  id: string | number;
  routing_key: string;
  delay: number;
  due: number;
  payload_bytes: number;
}

export function Delayed({ vhost, exchanges }: { vhost: string; exchanges: readonly string[] }): JSX.Element {
  return (
    <Section title="Delayed messages" open={false}>
      <IfAvailable probe={path`warren/delayed/${vhost}`} feature="Listing delayed messages">
        {exchanges.length === 0 ? <p class="muted">No x-delayed-message exchange routes to this queue.</p> : <DelayedList vhost={vhost} exchanges={exchanges} />}
      </IfAvailable>
    </Section>
  );
}

function DelayedList({ vhost, exchanges }: { vhost: string; exchanges: readonly string[] }): JSX.Element {
  const list = useApi(
    async () => (await Promise.all(exchanges.map((x) => api.get<DelayedMessage[]>(path`warren/delayed/${vhost}/${x}`)))).flat().sort((a, b) => a.due - b.due),
    `delayed:${vhost}:${exchanges.join(',')}`,
  );
  const cancel = useAction();
  const remove = (m: DelayedMessage): void =>
    void cancel.run(() => api.del(path`warren/delayed/${m.vhost}/${m.exchange}/${String(m.id)}`), 'Delayed message cancelled.').then(list.reload);
  return (
    <>
      <ErrorNote error={list.error} />
      <StatusLine status={cancel.status} />
      {list.data === undefined ? null : (
        <Table
          label="Delayed messages"
          empty="No delayed messages."
          head={['Exchange', 'Routing key', 'Delay', 'Due', 'Size', '']}
          rows={list.data.map((m) => [
            m.exchange,
            <code>{m.routing_key}</code>,
            duration(m.delay / 1000),
            `${time(m.due)} (in ${duration(Math.max(0, m.due - Date.now()) / 1000)})`,
            bytes(m.payload_bytes),
            <button type="button" class="small danger" onClick={() => remove(m)} aria-label={`Cancel delayed message ${String(m.id)}`}>
              Cancel
            </button>,
          ])}
        />
      )}
    </>
  );
}
