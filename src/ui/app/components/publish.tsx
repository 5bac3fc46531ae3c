/** "Publish message" (RabbitMQ's panel on exchange and queue pages): POST /api/exchanges/{vh}/{x}/publish. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { useAction } from '../hooks';
import { Field, parseArgs, Section, Select, StatusLine, TextArea } from './common';

/** Properties RabbitMQ's form lets you set, as "name=value" lines. */
const PROPERTY_NAMES = ['content_type', 'content_encoding', 'priority', 'correlation_id', 'reply_to', 'expiration', 'message_id', 'timestamp', 'type', 'user_id', 'app_id'];

export function PublishForm({ vhost, exchange, routingKey }: { vhost: string; exchange: string; routingKey?: string }): JSX.Element {
  const [key, setKey] = useState(routingKey ?? '');
  const [mode, setMode] = useState('1');
  const [headers, setHeaders] = useState('');
  const [props, setProps] = useState('');
  const [payload, setPayload] = useState('');
  const [encoding, setEncoding] = useState('string');
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const properties: Record<string, unknown> = { delivery_mode: Number(mode), headers: parseArgs(headers) };
    for (const [k, v] of Object.entries(parseArgs(props))) {
      if (PROPERTY_NAMES.includes(k)) properties[k] = v;
    }
    void run(
      () => api.post<{ routed: boolean }>(path`exchanges/${vhost}/${exchange === '' ? 'amq.default' : exchange}/publish`, { routing_key: key, payload, payload_encoding: encoding, properties }),
      (r) => (r.routed ? 'Message published.' : 'Message published, but not routed.'),
    );
  };
  return (
    <Section title="Publish message" open={routingKey === undefined}>
      <form onSubmit={submit} aria-label="Publish message" class="form">
        {routingKey === undefined ? <Field label="Routing key" value={key} set={setKey} /> : <p class="hint">Published to the default exchange with routing key '{routingKey}'.</p>}
        <Select label="Delivery mode" value={mode} set={setMode} options={[['1', '1 - Non-persistent'], ['2', '2 - Persistent']]} />
        <TextArea label="Headers (key=value per line)" value={headers} set={setHeaders} rows={2} />
        <TextArea label="Properties (name=value per line)" value={props} set={setProps} rows={2} />
        <p class="hint">{PROPERTY_NAMES.join(', ')}</p>
        <TextArea label="Payload" value={payload} set={setPayload} rows={5} />
        <Select label="Payload encoding" value={encoding} set={setEncoding} options={[['string', 'String (default)'], ['base64', 'Base64']]} />
        <button type="submit" disabled={busy}>
          Publish message
        </button>
        <StatusLine status={status} />
      </form>
    </Section>
  );
}
