/** Admin → Limits: virtual host limits (max-connections, max-queues) and user limits (max-connections, max-channels). */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { AdminNav } from '../components/admin-nav';
import { ErrorNote, Field, Section, Select, StatusLine, Table } from '../components/common';
import { useAction, useApi } from '../hooks';

interface LimitRow {
  vhost?: string;
  user?: string;
  value: Record<string, number>;
}

export function LimitsPage(): JSX.Element {
  return (
    <>
      <h1>Admin</h1>
      <AdminNav current="limits" />
      <Limits kind="vhost" />
      <Limits kind="user" />
    </>
  );
}

function Limits({ kind }: { kind: 'vhost' | 'user' }): JSX.Element {
  const resource = kind === 'vhost' ? 'vhost-limits' : 'user-limits';
  const names = kind === 'vhost' ? (['max-connections', 'max-queues'] as const) : (['max-connections', 'max-channels'] as const);
  const title = kind === 'vhost' ? 'Virtual host limits' : 'User limits';
  const list = useApi(() => api.get<LimitRow[]>(resource), resource);
  const owners = useApi(() => api.get<{ name: string }[]>(kind === 'vhost' ? 'vhosts' : 'users'), `${resource}-owners`, 0);
  const [owner, setOwner] = useState('');
  const [limit, setLimit] = useState<string>(names[0]);
  const [value, setValue] = useState('');
  const act = useAction();
  const who = owner === '' ? (owners.data?.[0]?.name ?? '') : owner;
  const rows = (list.data ?? []).flatMap((r) => Object.entries(r.value).map(([k, v]) => ({ owner: (kind === 'vhost' ? r.vhost : r.user) ?? '', limit: k, value: v })));
  const submit = (e: Event): void => {
    e.preventDefault();
    void act.run(() => api.put(`${resource}/` + path`${who}/${limit}`, { value: Number(value) }), 'Limit set.').then(list.reload);
  };
  const clear = (o: string, l: string): void => void act.run(() => api.del(`${resource}/` + path`${o}/${l}`)).then(list.reload);
  const label = kind === 'vhost' ? 'Virtual host' : 'User';
  return (
    <Section title={title}>
      <ErrorNote error={list.error} />
      <Table
        label={title}
        empty={`No ${kind === 'vhost' ? 'virtual host' : 'user'} limits.`}
        head={[label, 'Limit', 'Value', '']}
        rows={rows.map((r) => [
          r.owner,
          r.limit,
          String(r.value),
          <button type="button" class="small danger" onClick={() => clear(r.owner, r.limit)} aria-label={`Clear ${r.limit} of ${r.owner}`}>
            Clear
          </button>,
        ])}
      />
      <form onSubmit={submit} aria-label={`Set a ${kind === 'vhost' ? 'virtual host' : 'user'} limit`} class="form">
        <h3>Set / update a {kind === 'vhost' ? 'virtual host' : 'user'} limit</h3>
        <Select label={label} value={who} set={setOwner} options={(owners.data ?? []).map((o) => o.name)} />
        <Select label="Limit" value={limit} set={setLimit} options={names} />
        <Field label="Value" value={value} set={setValue} type="number" required />
        <button type="submit" disabled={act.busy}>
          Set / update limit
        </button>
        <StatusLine status={act.status} />
      </form>
    </Section>
  );
}
