/** The page frame: header with the cluster, node and user, and RabbitMQ's tabs. */
import type { ComponentChildren, JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api';
import { useApi } from '../hooks';
import { storedVhost, VhostContext } from '../vhost';

export interface OverviewHead {
  cluster_name?: string;
  node?: string;
  product_name?: string;
  product_version?: string;
  rabbitmq_version?: string;
}

export const TABS = [
  ['overview', 'Overview'],
  ['connections', 'Connections'],
  ['channels', 'Channels'],
  ['exchanges', 'Exchanges'],
  ['queues', 'Queues'],
  ['admin', 'Admin'],
] as const;

/** Which tab a route belongs to (Admin owns users, vhosts, policies and limits). */
export function tabOf(route: readonly string[]): string {
  const first = route[0] ?? 'overview';
  if (['users', 'vhosts', 'policies', 'limits', 'admin'].includes(first)) return 'admin';
  return TABS.some(([id]) => id === first) ? first : 'overview';
}

export function Layout({ user, route, onLogout, children }: { user: string; route: readonly string[]; onLogout: () => void; children: ComponentChildren }): JSX.Element {
  const head = useApi(() => api.get<OverviewHead>('overview'), 'head', 30_000);
  const vhosts = useApi(() => api.get<{ name: string }[]>('vhosts?columns=name'), 'header-vhosts', 30_000);
  const [vhost, setVhostState] = useState(storedVhost.get);
  const choice = useMemo(
    () => ({
      vhost,
      setVhost: (v: string) => {
        storedVhost.set(v);
        setVhostState(v);
      },
    }),
    [vhost],
  );
  const h = head.data;
  const current = tabOf(route);
  return (
    <div class="app">
      <header class="top">
        <a class="logo" href="#/">
          Warren
        </a>
        <span class="version">{h === undefined ? '' : `${h.product_name ?? 'Warren'} ${h.product_version ?? ''} (RabbitMQ ${h.rabbitmq_version ?? ''} compatible)`}</span>
        <dl class="who">
          <dt>Cluster</dt>
          <dd data-testid="cluster-name">{h?.cluster_name ?? ''}</dd>
          <dt>Node</dt>
          <dd>{h?.node ?? ''}</dd>
          <dt>User</dt>
          <dd>{user}</dd>
        </dl>
        <label class="field inline vhost-choice">
          <span>Virtual host</span>
          <select value={vhost} onChange={(e) => choice.setVhost(e.currentTarget.value)}>
            <option value="">All</option>
            {(vhosts.data ?? []).map((v) => (
              <option key={v.name} value={v.name}>
                {v.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="link" onClick={onLogout}>
          Log out
        </button>
      </header>
      <nav class="tabs" aria-label="Main">
        {TABS.map(([id, text]) => (
          <a key={id} href={`#/${id === 'overview' ? '' : id}`} class={id === current ? 'current' : ''} aria-current={id === current ? 'page' : undefined}>
            {text}
          </a>
        ))}
      </nav>
      <VhostContext.Provider value={choice}>
        <main class="page">{children}</main>
      </VhostContext.Provider>
    </div>
  );
}
