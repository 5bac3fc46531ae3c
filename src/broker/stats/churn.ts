/**
 * Object churn of a broker since it started, as RabbitMQ's rabbit_core_metrics counts it
 * (connection_churn_metrics): connections and channels opened and closed, queues declared (every
 * non-passive queue.declare that passed the configure check), created and deleted. Plain fields
 * bumped where those things happen (Sessions, Vhost), once per object, never per message; the
 * Prometheus endpoint reads them at scrape time.
 */
export class Churn {
  connectionsOpened = 0;
  connectionsClosed = 0;
  channelsOpened = 0;
  channelsClosed = 0;
  queuesDeclared = 0;
  queuesCreated = 0;
  queuesDeleted = 0;
}
