/** An exchange's page: details, rates, bindings, publish, delayed messages (x-delayed-message), delete. */
import type { JSX } from 'preact';
import { api, path } from '../api';
import { Bindings } from '../components/bindings';
import { ErrorNote, Facts, Loading, Section, StatusLine } from '../components/common';
import { Delayed } from '../components/delayed';
import { PublishForm } from '../components/publish';
import { brief } from '../format';
import { href, useAction, useApi } from '../hooks';
import { exRate, type ExchangeRow } from './exchanges';

export function ExchangePage({ vhost, name: routeName }: { vhost: string; name: string }): JSX.Element {
  // The default exchange has no name; RabbitMQ's UI routes it as amq.default.
  const name = routeName === 'amq.default' ? '' : routeName;
  const x = useApi(() => api.get<ExchangeRow>(path`exchanges/${vhost}/${name === '' ? 'amq.default' : name}`), `exchange:${vhost}:${name}`);
  const del = useAction();
  const title = name === '' ? '(AMQP default)' : name;
  if (x.data === undefined) {
    return (
      <>
        <h1>Exchange {title}</h1>
        {x.error === undefined ? <Loading /> : <ErrorNote error={x.error} />}
      </>
    );
  }
  const d = x.data;
  const remove = (): void => {
    if (!confirm(`Delete exchange '${name}'?`)) return;
    void del.run(() => api.del(path`exchanges/${vhost}/${name}`)).then((ok) => {
      if (ok) location.hash = href('exchanges');
    });
  };
  return (
    <>
      <h1>
        Exchange <b>{title}</b> <span class="muted">in virtual host {vhost}</span>
      </h1>
      <Section title="Overview">
        <Facts
          rows={[
            ['Type', d.type],
            ['Features', [d.durable ? 'durable' : 'transient', d.auto_delete ? 'auto-delete' : '', d.internal ? 'internal' : ''].filter((f) => f !== '').join(', ')],
            ['Arguments', Object.entries(d.arguments).map(([k, v]) => `${k}: ${brief(v)}`).join(', ')],
            ['Policy', d.policy ?? ''],
            ['Message rate in', exRate(d.message_stats, 'publish_in')],
            ['Message rate out', exRate(d.message_stats, 'publish_out')],
          ]}
        />
      </Section>
      {name === '' ? <p class="note">The default exchange is implicitly bound to every queue, with the queue's name as routing key.</p> : <Bindings vhost={vhost} of={{ type: 'exchange', name }} />}
      <PublishForm vhost={vhost} exchange={name} />
      {d.type === 'x-delayed-message' ? <Delayed vhost={vhost} exchanges={[name]} /> : null}
      {name === '' || name.startsWith('amq.') ? null : (
        <Section title="Delete this exchange" open={false}>
          <button type="button" class="danger" onClick={remove} disabled={del.busy}>
            Delete
          </button>
          <StatusLine status={del.status} />
        </Section>
      )}
    </>
  );
}
