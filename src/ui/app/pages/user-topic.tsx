/** A user's topic permissions (RabbitMQ's "Topic permissions" on the user page): per vhost and topic exchange. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { ErrorNote, Field, Section, Select, StatusLine, Table } from '../components/common';
import { useAction, useApi } from '../hooks';

interface TopicPermission {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

export function TopicPermissions({ user }: { user: string }): JSX.Element {
  const list = useApi(() => api.get<TopicPermission[]>(path`users/${user}/topic-permissions`), `topic-perms:${user}`, 0);
  const vhosts = useApi(() => api.get<{ name: string }[]>('vhosts'), 'vhosts', 0);
  const [vhost, setVhost] = useState('/');
  const [exchange, setExchange] = useState('amq.topic');
  const [write, setWrite] = useState('.*');
  const [read, setRead] = useState('.*');
  const act = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void act.run(() => api.put(path`topic-permissions/${vhost}/${user}`, { exchange, write, read }), 'Topic permission set.').then(list.reload);
  };
  const clear = (p: TopicPermission): void => void act.run(() => api.del(path`topic-permissions/${p.vhost}/${user}/${p.exchange}`)).then(list.reload);
  return (
    <Section title="Topic permissions" open={false}>
      <ErrorNote error={list.error} />
      <Table
        label="Topic permissions"
        empty="No topic permissions."
        head={['Virtual host', 'Exchange', 'Write regexp', 'Read regexp', '']}
        rows={(list.data ?? []).map((p) => [
          p.vhost,
          p.exchange,
          <code>{p.write}</code>,
          <code>{p.read}</code>,
          <button type="button" class="small danger" onClick={() => clear(p)} aria-label={`Clear topic permission on ${p.vhost} ${p.exchange}`}>
            Clear
          </button>,
        ])}
      />
      <form onSubmit={submit} aria-label="Set topic permission" class="form">
        <h3>Set topic permission</h3>
        <Select label="Virtual host" value={vhost} set={setVhost} options={(vhosts.data ?? [{ name: '/' }]).map((v) => v.name)} />
        <Field label="Exchange" value={exchange} set={setExchange} required />
        <Field label="Write regexp" value={write} set={setWrite} />
        <Field label="Read regexp" value={read} set={setRead} />
        <button type="submit" disabled={act.busy}>
          Set topic permission
        </button>
        <StatusLine status={act.status} />
      </form>
    </Section>
  );
}
