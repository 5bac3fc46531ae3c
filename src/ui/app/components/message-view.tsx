/** One message as the API shows it (get, browse, trace): exchange, routing key, properties, payload. */
import type { JSX } from 'preact';
import { brief, num } from '../format';
import { Facts } from './common';

export interface ApiMessage {
  payload: string;
  payload_bytes: number;
  payload_encoding: string;
  properties: Record<string, unknown>;
  routing_key: string;
  exchange: string;
  redelivered: boolean;
  message_count?: number;
  position?: number;
}

/** Properties and headers on one line: "content_type: text/plain, headers: {n: 1}". */
export function propsText(properties: Record<string, unknown>): string {
  return Object.entries(properties)
    .map(([k, v]) => `${k}: ${brief(v)}`)
    .join(', ');
}

export function MessageView({ m, title }: { m: ApiMessage; title: string }): JSX.Element {
  const props = Object.entries(m.properties).filter(([k]) => k !== 'headers');
  const headers = m.properties['headers'] as Record<string, unknown> | undefined;
  return (
    <article class="message" aria-label={title}>
      <h3>{title}</h3>
      <Facts
        rows={[
          ['Exchange', m.exchange === '' ? '(AMQP default)' : m.exchange],
          ['Routing Key', m.routing_key],
          ['Redelivered', m.redelivered ? '●' : '○'],
          ['Properties', props.length === 0 ? '' : props.map(([k, v]) => `${k}: ${brief(v)}`).join(', ')],
          ...(headers !== undefined && Object.keys(headers).length > 0 ? [['Headers', Object.entries(headers).map(([k, v]) => `${k}: ${brief(v)}`).join(', ')] as const] : []),
          [
            'Payload',
            <>
              <span class="muted">
                {num(m.payload_bytes)} bytes, encoding: {m.payload_encoding}
              </span>
              <pre class="payload">{m.payload}</pre>
            </>,
          ],
        ]}
      />
    </article>
  );
}
