/** Admin → Users: the users with their tags and vhosts, and "Add a user". */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { AdminNav } from '../components/admin-nav';
import { ErrorNote, Field, Section, StatusLine, Table } from '../components/common';
import { tagList } from '../format';
import { href, useAction, useApi } from '../hooks';

export interface User {
  name: string;
  tags: string[] | string;
  password_hash?: string;
}
export interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

/** RabbitMQ's tag shortcuts under the Tags field. */
export const TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'] as const;

export function TagPicker({ tags, set }: { tags: string; set: (v: string) => void }): JSX.Element {
  return (
    <p class="hint">
      Set{' '}
      {TAGS.map((t) => (
        <button key={t} type="button" class="link tag" onClick={() => set(t)}>
          {t}
        </button>
      ))}{' '}
      <button type="button" class="link tag" onClick={() => set('')}>
        none
      </button>{' '}
      {tags === '' ? '' : `(now: ${tags})`}
    </p>
  );
}

export function UsersPage(): JSX.Element {
  const users = useApi(() => api.get<User[]>('users'), 'users');
  const perms = useApi(() => api.get<Permission[]>('permissions'), 'permissions');
  const vhostsOf = (u: string): string => (perms.data ?? []).filter((p) => p.user === u).map((p) => p.vhost).join(', ');
  return (
    <>
      <h1>Admin</h1>
      <AdminNav current="users" />
      <Section title="All users">
        <ErrorNote error={users.error} />
        <Table
          label="Users"
          empty="No users."
          head={['Name', 'Tags', 'Can access virtual hosts', 'Has password']}
          rows={(users.data ?? []).map((u) => [
            <a href={href('users', u.name)}>{u.name}</a>,
            tagList(u.tags).join(', '),
            vhostsOf(u.name) || <span class="muted">No access</span>,
            u.password_hash === undefined || u.password_hash === '' ? '○' : '●',
          ])}
        />
      </Section>
      <AddUser onAdded={users.reload} />
    </>
  );
}

function AddUser({ onAdded }: { onAdded: () => void }): JSX.Element {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [tags, setTags] = useState('');
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const body = password === '' ? { password_hash: '', tags } : { password, tags };
    void run(() => api.put(path`users/${name}`, body), `User '${name}' added.`).then((ok) => {
      if (ok) {
        setName('');
        setPassword('');
        onAdded();
      }
    });
  };
  return (
    <Section title="Add a user" open={false}>
      <form onSubmit={submit} aria-label="Add a user" class="form">
        <Field label="Username" value={name} set={setName} required />
        <Field label="Password" value={password} set={setPassword} type="password" autocomplete="new-password" />
        <Field label="Tags" value={tags} set={setTags} placeholder="comma-separated" />
        <TagPicker tags={tags} set={setTags} />
        <button type="submit" disabled={busy}>
          Add user
        </button>
        <StatusLine status={status} />
      </form>
    </Section>
  );
}
