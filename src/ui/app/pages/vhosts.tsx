/** Admin → Virtual Hosts: list with message counts and tracing, add, delete. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { AdminNav } from '../components/admin-nav';
import { Check, ErrorNote, Field, Section, Select, StatusLine, Table } from '../components/common';
import { num } from '../format';
import { useAction, useApi } from '../hooks';

interface Vhost {
  name: string;
  description?: string;
  tags?: string[];
  default_queue_type?: string;
  tracing?: boolean;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
}

export function VhostsPage(): JSX.Element {
  const vhosts = useApi(() => api.get<Vhost[]>('vhosts'), 'vhosts');
  const act = useAction();
  const setTracing = (v: Vhost): void =>
    void act.run(() => api.put(path`vhosts/${v.name}`, { description: v.description ?? '', tags: (v.tags ?? []).join(','), tracing: !(v.tracing ?? false) })).then(vhosts.reload);
  const remove = (v: Vhost): void => {
    if (!confirm(`Delete virtual host '${v.name}' and everything in it?`)) return;
    void act.run(() => api.del(path`vhosts/${v.name}`), `Virtual host '${v.name}' deleted.`).then(vhosts.reload);
  };
  return (
    <>
      <h1>Admin</h1>
      <AdminNav current="vhosts" />
      <Section title="All virtual hosts">
        <ErrorNote error={vhosts.error} />
        <StatusLine status={act.status} />
        <Table
          label="Virtual hosts"
          head={['Name', 'Description', 'Tags', 'Default queue type', 'Tracing', 'Ready', 'Unacked', 'Total', '']}
          rows={(vhosts.data ?? []).map((v) => [
            v.name,
            v.description ?? '',
            (v.tags ?? []).join(', '),
            v.default_queue_type === undefined || v.default_queue_type === 'undefined' ? 'classic' : v.default_queue_type,
            <button type="button" class="small link" onClick={() => setTracing(v)} aria-label={`Turn tracing ${v.tracing ? 'off' : 'on'} for ${v.name}`}>
              {v.tracing ? '● on' : '○ off'}
            </button>,
            num(v.messages_ready),
            num(v.messages_unacknowledged),
            num(v.messages),
            <button type="button" class="small danger" onClick={() => remove(v)} aria-label={`Delete virtual host ${v.name}`}>
              Delete
            </button>,
          ])}
        />
      </Section>
      <AddVhost onAdded={vhosts.reload} />
    </>
  );
}

function AddVhost({ onAdded }: { onAdded: () => void }): JSX.Element {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [queueType, setQueueType] = useState('classic');
  const [tracing, setTracing] = useState(false);
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const body = { description, tags, default_queue_type: queueType, tracing };
    void run(() => api.put(path`vhosts/${name}`, body), `Virtual host '${name}' added.`).then((ok) => {
      if (ok) {
        setName('');
        onAdded();
      }
    });
  };
  return (
    <Section title="Add a new virtual host" open={false}>
      <form onSubmit={submit} aria-label="Add a new virtual host" class="form">
        <Field label="Name" value={name} set={setName} required />
        <Field label="Description" value={description} set={setDescription} />
        <Field label="Tags" value={tags} set={setTags} placeholder="comma-separated" />
        <Select label="Default queue type" value={queueType} set={setQueueType} options={['classic', 'quorum', 'stream']} />
        <Check label="Tracing" checked={tracing} set={setTracing} />
        <button type="submit" disabled={busy}>
          Add virtual host
        </button>
        <StatusLine status={status} />
      </form>
    </Section>
  );
}
