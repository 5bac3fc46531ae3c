/** Hash routes (RabbitMQ's UI uses #/queues/%2F/name too): which page a route shows. */
import type { JSX } from 'preact';
import { LimitsPage } from './pages/limits';
import { ChannelsPage, ConnectionsPage } from './pages/connections';
import { ExchangePage } from './pages/exchange';
import { ExchangesPage } from './pages/exchanges';
import { OverviewPage } from './pages/overview';
import { PoliciesPage } from './pages/policies';
import { QueuePage } from './pages/queue';
import { QueuesPage } from './pages/queues';
import { UserPage } from './pages/user';
import { UsersPage } from './pages/users';
import { VhostsPage } from './pages/vhosts';

export function Routes({ route }: { route: readonly string[] }): JSX.Element {
  const [first = '', a, b] = route;
  switch (first) {
    case 'connections':
      return <ConnectionsPage />;
    case 'channels':
      return <ChannelsPage />;
    case 'exchanges':
      return a !== undefined && b !== undefined ? <ExchangePage key={`${a}/${b}`} vhost={a} name={b} /> : <ExchangesPage />;
    case 'queues':
      return a !== undefined && b !== undefined ? <QueuePage key={`${a}/${b}`} vhost={a} name={b} /> : <QueuesPage />;
    case 'admin':
    case 'users':
      return a !== undefined ? <UserPage key={a} name={a} /> : <UsersPage />;
    case 'vhosts':
      return <VhostsPage />;
    case 'policies':
      return <PoliciesPage />;
    case 'limits':
      return <LimitsPage />;
    default:
      return <OverviewPage />;
  }
}
