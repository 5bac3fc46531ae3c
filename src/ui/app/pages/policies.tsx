/** Admin → Policies: user policies per vhost, add/update, delete. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, path } from '../api';
import { AdminNav } from '../components/admin-nav';
import { ErrorNote, Field, parseArgs, Section, Select, StatusLine, Table, TextArea } from '../components/common';
import { brief } from '../format';
import { useAction, useApi } from '../hooks';

interface Policy {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': string;
  definition: Record<string, unknown>;
  priority: number;
}

export function PoliciesPage(): JSX.Element {
  const policies = useApi(() => api.get<Policy[]>('policies'), 'policies');
  const del = useAction();
  const remove = (p: Policy): void => {
    if (!confirm(`Delete policy '${p.name}'?`)) return;
    void del.run(() => api.del(path`policies/${p.vhost}/${p.name}`)).then(policies.reload);
  };
  return (
    <>
      <h1>Admin</h1>
      <AdminNav current="policies" />
      <Section title="User policies">
        <ErrorNote error={policies.error} />
        <StatusLine status={del.status} />
        <Table
          label="Policies"
          empty="No policies."
          head={['Virtual host', 'Name', 'Pattern', 'Apply to', 'Definition', 'Priority', '']}
          rows={(policies.data ?? []).map((p) => [
            p.vhost,
            p.name,
            <code>{p.pattern}</code>,
            p['apply-to'],
            <code>{Object.entries(p.definition).map(([k, v]) => `${k}: ${brief(v)}`).join(', ')}</code>,
            String(p.priority),
            <button type="button" class="small danger" onClick={() => remove(p)} aria-label={`Delete policy ${p.name}`}>
              Delete
            </button>,
          ])}
        />
      </Section>
      <AddPolicy onAdded={policies.reload} />
    </>
  );
}

function AddPolicy({ onAdded }: { onAdded: () => void }): JSX.Element {
  const vhosts = useApi(() => api.get<{ name: string }[]>('vhosts'), 'vhosts', 0);
  const [vhost, setVhost] = useState('/');
  const [name, setName] = useState('');
  const [pattern, setPattern] = useState('');
  const [applyTo, setApplyTo] = useState('all');
  const [priority, setPriority] = useState('0');
  const [definition, setDefinition] = useState('');
  const { busy, status, run } = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    const body = { pattern, 'apply-to': applyTo, priority: Number(priority), definition: parseArgs(definition) };
    void run(() => api.put(path`policies/${vhost}/${name}`, body), `Policy '${name}' saved.`).then((ok) => {
      if (ok) onAdded();
    });
  };
  return (
    <Section title="Add / update a policy" open={false}>
      <form onSubmit={submit} aria-label="Add or update a policy" class="form">
        <Select label="Virtual host" value={vhost} set={setVhost} options={(vhosts.data ?? [{ name: '/' }]).map((v) => v.name)} />
        <Field label="Name" value={name} set={setName} required />
        <Field label="Pattern" value={pattern} set={setPattern} placeholder="^amq\." required />
        <Select label="Apply to" value={applyTo} set={setApplyTo} options={[['all', 'Exchanges and queues'], ['exchanges', 'Exchanges'], ['queues', 'Queues'], ['classic_queues', 'Classic queues']]} />
        <Field label="Priority" value={priority} set={setPriority} type="number" />
        <TextArea label="Definition (key=value per line)" value={definition} set={setDefinition} rows={4} />
        <p class="hint">message-ttl, expires, max-length, max-length-bytes, overflow, dead-letter-exchange, dead-letter-routing-key, max-priority, queue-mode, delivery-limit, alternate-exchange</p>
        <button type="submit" disabled={busy}>
          Add / update policy
        </button>
        <StatusLine status={status} />
      </form>
    </Section>
  );
}
