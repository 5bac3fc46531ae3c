/** Connections and Channels (RabbitMQ's tabs): paged lists; a connection can be force-closed. */
import type { JSX } from 'preact';
import { api, path } from '../api';
import { ErrorNote, Section, Table } from '../components/common';
import { usePaged } from '../components/paged';
import { bytes, num, rate } from '../format';

type Details = { rate?: number } | undefined;

interface Connection {
  name: string;
  vhost: string;
  user: string;
  state: string;
  ssl: boolean;
  protocol: string;
  channels: number;
  peer_host: string;
  peer_port: number;
  client_properties?: { product?: string; version?: string; connection_name?: string };
  recv_oct_details?: Details;
  send_oct_details?: Details;
  recv_oct?: number;
  send_oct?: number;
}

interface Channel {
  name: string;
  vhost: string;
  user: string;
  state: string;
  confirm: boolean;
  transactional: boolean;
  prefetch_count: number;
  global_prefetch_count?: number;
  messages_unacknowledged: number;
  messages_unconfirmed: number;
  consumer_count: number;
  message_stats?: Record<string, number | Details>;
}

const r = (d: Details): string => `${bytes(d?.rate ?? 0)}/s`;
const statRate = (s: Channel['message_stats'], k: string): string => rate((s?.[`${k}_details`] as Details)?.rate ?? 0);

export function ConnectionsPage(): JSX.Element {
  const { list, controls } = usePaged<Connection>('connections', false);
  const close = (name: string): void => {
    if (!confirm(`Force close connection ${name}?`)) return;
    api.del(path`connections/${name}`).then(list.reload, list.reload);
  };
  return (
    <>
      <h1>Connections</h1>
      <Section title="All connections">
        {controls}
        <ErrorNote error={list.error} />
        <Table
          label="Connections"
          empty="No connections."
          head={['Virtual host', 'Name', 'User name', 'State', 'Client', 'TLS', 'Protocol', 'Channels', 'From client', 'To client', '']}
          rows={(list.data?.items ?? []).map((c) => [
            c.vhost,
            <>
              {c.name}
              {c.client_properties?.connection_name === undefined ? null : <div class="muted">{c.client_properties.connection_name}</div>}
            </>,
            c.user,
            c.state,
            [c.client_properties?.product, c.client_properties?.version].filter((x) => x !== undefined).join(' '),
            c.ssl ? '●' : '○',
            c.protocol,
            num(c.channels),
            r(c.recv_oct_details),
            r(c.send_oct_details),
            <button type="button" class="small danger" onClick={() => close(c.name)} aria-label={`Close connection ${c.name}`}>
              Close
            </button>,
          ])}
        />
      </Section>
    </>
  );
}

export function ChannelsPage(): JSX.Element {
  const { list, controls } = usePaged<Channel>('channels', false);
  return (
    <>
      <h1>Channels</h1>
      <Section title="All channels">
        {controls}
        <ErrorNote error={list.error} />
        <Table
          label="Channels"
          empty="No channels."
          head={['Channel', 'Virtual host', 'User name', 'Mode', 'State', 'Unconfirmed', 'Prefetch', 'Unacked', 'Consumers', 'Publish', 'Confirm', 'Deliver / get', 'Ack']}
          rows={(list.data?.items ?? []).map((c) => [
            c.name,
            c.vhost,
            c.user,
            <span title="C: confirm mode, T: transactional">{(c.confirm ? 'C' : '') + (c.transactional ? 'T' : '')}</span>,
            c.state,
            num(c.messages_unconfirmed),
            c.global_prefetch_count ? `${c.prefetch_count} (${c.global_prefetch_count} global)` : String(c.prefetch_count),
            num(c.messages_unacknowledged),
            num(c.consumer_count),
            statRate(c.message_stats, 'publish'),
            statRate(c.message_stats, 'confirm'),
            statRate(c.message_stats, 'deliver_get'),
            statRate(c.message_stats, 'ack'),
          ])}
        />
      </Section>
    </>
  );
}
