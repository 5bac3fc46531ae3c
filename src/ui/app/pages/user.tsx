/** Admin → a user: permissions per vhost (set, clear), tags and password, delete. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { AdminNav } from '../components/admin-nav';
import { ErrorNote, Facts, Field, Loading, Section, Select, StatusLine, Table } from '../components/common';
import { tagList } from '../format';
import { href, useAction, useApi } from '../hooks';
import { TopicPermissions } from './user-topic';
import { TagPicker, type Permission, type User } from './users';

export function UserPage({ name }: { name: string }): JSX.Element {
  const user = useApi(() => api.get<User>(path`users/${name}`), `user:${name}`, 0);
  const perms = useApi(() => api.get<Permission[]>(path`users/${name}/permissions`), `user-perms:${name}`, 0);
  const del = useAction();
  const remove = (): void => {
    if (!confirm(`Delete user '${name}'?`)) return;
    void del.run(() => api.del(path`users/${name}`)).then((ok) => {
      if (ok) location.hash = href('users');
    });
  };
  return (
    <>
      <h1>
        User <b>{name}</b>
      </h1>
      <AdminNav current="users" />
      {user.data === undefined ? (
        user.error === undefined ? <Loading /> : <ErrorNote error={user.error} />
      ) : (
        <Section title="Overview">
          <Facts rows={[['Tags', tagList(user.data.tags).join(', ')], ['Can log in with password', user.data.password_hash ? '●' : '○']]} />
        </Section>
      )}
      <Section title="Permissions">
        <ErrorNote error={perms.error} />
        <Table
          label="Permissions"
          empty="No permissions."
          head={['Virtual host', 'Configure regexp', 'Write regexp', 'Read regexp', '']}
          rows={(perms.data ?? []).map((p) => [
            p.vhost,
            <code>{p.configure}</code>,
            <code>{p.write}</code>,
            <code>{p.read}</code>,
            <button type="button" class="small danger" onClick={() => void api.del(path`permissions/${p.vhost}/${name}`).then(perms.reload, perms.reload)} aria-label={`Clear permissions on ${p.vhost}`}>
              Clear
            </button>,
          ])}
        />
        <SetPermission user={name} onSet={perms.reload} />
      </Section>
      <TopicPermissions user={name} />
      {user.data === undefined ? null : <UpdateUser name={name} user={user.data} onDone={user.reload} />}
      <Section title="Delete this user" open={false}>
        <button type="button" class="danger" onClick={remove} disabled={del.busy}>
          Delete
        </button>
        <StatusLine status={del.status} />
      </Section>
    </>
  );
}

function SetPermission({ user, onSet }: { user: string; onSet: () => void }): JSX.Element {
  const vhosts = useApi(() => api.get<{ name: string }[]>('vhosts'), 'vhosts', 0);
  const [vhost, setVhost] = useState('/');
  const [configure, setConfigure] = useState('.*');
  const [write, setWrite] = useState('.*');
  const [read, setRead] = useState('.*');
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void run(() => api.put(path`permissions/${vhost}/${user}`, { configure, write, read }), 'Permission set.').then(onSet);
  };
  return (
    <form onSubmit={submit} aria-label="Set permission" class="form">
      <h3>Set permission</h3>
      <Select label="Virtual host" value={vhost} set={setVhost} options={(vhosts.data ?? [{ name: '/' }]).map((v) => v.name)} />
      <Field label="Configure regexp" value={configure} set={setConfigure} />
      <Field label="Write regexp" value={write} set={setWrite} />
      <Field label="Read regexp" value={read} set={setRead} />
      <button type="submit" disabled={busy}>
        Set permission
      </button>
      <StatusLine status={status} />
    </form>
  );
}

function UpdateUser({ name, user, onDone }: { name: string; user: User; onDone: () => void }): JSX.Element {
  const [tags, setTags] = useState(tagList(user.tags).join(','));
  const [password, setPassword] = useState('');
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    // Without a new password RabbitMQ's UI sends the stored hash back, keeping the password.
    const body = password === '' ? { password_hash: user.password_hash ?? '', tags } : { password, tags };
    void run(() => api.put(path`users/${name}`, body), 'User updated.').then((ok) => {
      if (ok) {
        setPassword('');
        onDone();
      }
    });
  };
  return (
    <Section title="Update this user" open={false}>
      <form onSubmit={submit} aria-label="Update this user" class="form">
        <Field label="New password (empty: keep)" value={password} set={setPassword} type="password" autocomplete="new-password" />
        <Field label="Tags" value={tags} set={setTags} />
        <TagPicker tags={tags} set={setTags} />
        <button type="submit" disabled={busy}>
          Update user
        </button>
        <StatusLine status={status} />
      </form>
    </Section>
  );
}
