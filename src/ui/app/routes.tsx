/** Hash routes (RabbitMQ's UI uses #/queues/%2F/name too): which page a route shows. */
import type { JSX } from 'preact';
import { OverviewPage } from './pages/overview';
import { QueuePage } from './pages/queue';
import { QueuesPage } from './pages/queues';

export function Routes({ route }: { route: readonly string[] }): JSX.Element {
  const [first = '', a, b] = route;
  switch (first) {
    case 'queues':
      return a !== undefined && b !== undefined ? <QueuePage key={`${a}/${b}`} vhost={a} name={b} /> : <QueuesPage />;
    default:
      return <OverviewPage />;
  }
}
