/**
 * Overview (RabbitMQ's first tab): queued messages and message rates charted live from
 * /api/overview every 5 s, global counts, the nodes with memory, disk and alarms, the listeners,
 * and definitions export and import.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { LiveChart, type Series } from '../components/chart';
import { ErrorNote, Loading, Section, Table } from '../components/common';
import { bytes, duration, num, rate, time } from '../format';
import { useApi } from '../hooks';
import { Definitions } from './definitions';

type Details = { rate?: number } | undefined;
interface Overview {
  message_stats?: Record<string, number | Details>;
  queue_totals?: { messages?: number; messages_ready?: number; messages_unacknowledged?: number };
  object_totals?: Record<string, number>;
  listeners?: { node: string; protocol: string; ip_address: string; port: number }[];
}
interface NodeInfo {
  name: string;
  running: boolean;
  mem_used: number;
  mem_limit: number;
  mem_alarm: boolean;
  disk_free: number;
  disk_free_limit: number;
  disk_free_alarm: boolean;
  fd_used: number;
  fd_total: number;
  uptime: number;
}

/** The rates RabbitMQ's overview charts, by their message_stats names. */
const RATES = [
  ['publish', 'Publish', '#e0801f'],
  ['confirm', 'Publisher confirm', '#c9b400'],
  ['deliver_get', 'Deliver / get', '#3b8ed4'],
  ['redeliver', 'Redelivered', '#a03cc8'],
  ['ack', 'Consumer ack', '#2e9e5b'],
  ['return_unroutable', 'Unroutable (return)', '#d43b3b'],
  ['drop_unroutable', 'Unroutable (drop)', '#777777'],
] as const;
const QUEUED = [
  ['messages_ready', 'Ready', '#e0801f'],
  ['messages_unacknowledged', 'Unacked', '#3b8ed4'],
  ['messages', 'Total', '#777777'],
] as const;

/** Ten minutes of 5 s samples. */
const KEEP = 120;

interface History {
  labels: string[];
  rates: Record<string, number[]>;
  queued: Record<string, number[]>;
}

const rateOf = (o: Overview, key: string): number => (o.message_stats?.[`${key}_details`] as Details)?.rate ?? 0;

function append(h: History, o: Overview): History {
  const keep = <T,>(a: readonly T[], v: T): T[] => [...a, v].slice(-KEEP);
  const rates: Record<string, number[]> = {};
  for (const [k] of RATES) rates[k] = keep(h.rates[k] ?? [], rateOf(o, k));
  const queued: Record<string, number[]> = {};
  for (const [k] of QUEUED) queued[k] = keep(h.queued[k] ?? [], o.queue_totals?.[k] ?? 0);
  return { labels: keep(h.labels, time(Date.now())), rates, queued };
}

export function OverviewPage(): JSX.Element {
  const overview = useApi(() => api.get<Overview>('overview'), 'overview');
  const nodes = useApi(() => api.get<NodeInfo[]>('nodes'), 'nodes');
  const [history, setHistory] = useState<History>({ labels: [], rates: {}, queued: {} });
  useEffect(() => {
    if (overview.data !== undefined) setHistory((h) => append(h, overview.data as Overview));
  }, [overview.data]);
  const o = overview.data;
  const series = (defs: readonly (readonly [string, string, string])[], data: Record<string, number[]>): Series[] =>
    defs.map(([k, label, color]) => ({ label, color, values: data[k] ?? [] }));
  return (
    <>
      <h1>Overview</h1>
      <ErrorNote error={overview.error} />
      <Section title="Totals">
        {o === undefined ? (
          <Loading />
        ) : (
          <div class="charts">
            <div>
              <LiveChart title="Queued messages" unit="messages" labels={history.labels} series={series(QUEUED, history.queued)} />
              <Figures
                label="Queued messages"
                items={QUEUED.map(([k, text, color]) => [k, text, color, num(o.queue_totals?.[k] ?? 0)])}
              />
            </div>
            <div>
              <LiveChart title="Message rates" unit="msg/s" labels={history.labels} series={series(RATES, history.rates)} />
              <Figures label="Message rates" items={RATES.map(([k, text, color]) => [k, text, color, rate(rateOf(o, k))])} />
            </div>
          </div>
        )}
        {o?.object_totals === undefined ? null : (
          <ul class="totals" aria-label="Global counts">
            {(['connections', 'channels', 'exchanges', 'queues', 'consumers'] as const).map((k) => (
              <li key={k}>
                <span class="count" data-testid={`total-${k}`}>
                  {num(o.object_totals?.[k] ?? 0)}
                </span>
                <span class="what">{k[0]?.toUpperCase() + k.slice(1)}</span>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Nodes">
        <ErrorNote error={nodes.error} />
        <Table
          label="Nodes"
          head={['Name', 'File descriptors', 'Memory', 'Disk space', 'Uptime', 'State']}
          rows={(nodes.data ?? []).map((n) => [
            n.name,
            `${num(n.fd_used)} / ${num(n.fd_total)}`,
            <Meter used={n.mem_used} limit={n.mem_limit} alarm={n.mem_alarm} text={`${bytes(n.mem_used)} (limit ${bytes(n.mem_limit)})`} />,
            <span class={n.disk_free_alarm ? 'alarm-text' : ''}>{`${bytes(n.disk_free)} free (limit ${bytes(n.disk_free_limit)})`}</span>,
            duration(n.uptime / 1000),
            n.mem_alarm || n.disk_free_alarm ? <span class="badge red">{n.mem_alarm ? 'memory alarm' : 'disk alarm'}</span> : <span class="badge green">{n.running ? 'running' : 'stopped'}</span>,
          ])}
        />
      </Section>
      <Section title="Ports and contexts">
        <Table label="Listeners" head={['Protocol', 'Bound to', 'Port']} rows={(o?.listeners ?? []).map((l) => [l.protocol, l.ip_address, String(l.port)])} />
      </Section>
      <Definitions />
    </>
  );
}

/** The current figures beside a chart, in the chart's colours. */
function Figures({ label, items }: { label: string; items: readonly (readonly [string, string, string, string])[] }): JSX.Element {
  return (
    <div class="figures" aria-label={label}>
      {items.map(([k, text, color, value]) => (
        <div key={k} class="figure">
          <span class="swatch" style={{ background: color }} />
          <span class="what">{text}</span>
          <span class="value" data-testid={`figure-${k}`}>
            {value}
          </span>
        </div>
      ))}
    </div>
  );
}

/** A bar of use against a limit, red under an alarm. */
function Meter({ used, limit, alarm, text }: { used: number; limit: number; alarm: boolean; text: string }): JSX.Element {
  const pct = limit > 0 ? Math.min(100, (used / limit) * 100) : 0;
  return (
    <div class={alarm ? 'meter alarm' : 'meter'} title={text}>
      <div class="bar" style={{ width: `${pct}%` }} />
      <span>{text}</span>
    </div>
  );
}
