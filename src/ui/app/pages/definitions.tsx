/** Export and import definitions (RabbitMQ's overview panel): GET and POST /api/definitions. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Section, StatusLine } from '../components/common';
import { useAction } from '../hooks';

export function Definitions(): JSX.Element {
  const exporting = useAction();
  const importing = useAction();
  const [file, setFile] = useState<File | null>(null);
  const download = (): Promise<boolean> =>
    exporting.run(async () => {
      const defs = await api.get<unknown>('definitions');
      const url = URL.createObjectURL(new Blob([JSON.stringify(defs, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `warren-definitions-${new Date().toISOString().slice(0, 10)}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }, 'Definitions downloaded.');
  const upload = (e: Event): void => {
    e.preventDefault();
    if (file === null) return;
    void importing.run(async () => {
      await api.post('definitions', JSON.parse(await file.text()) as unknown);
    }, 'Definitions imported.');
  };
  return (
    <Section title="Export definitions / Import definitions" open={false}>
      <div class="two">
        <div>
          <h3>Export definitions</h3>
          <p class="muted">Users, virtual hosts, permissions, parameters, policies, queues, exchanges and bindings as JSON.</p>
          <button type="button" onClick={() => void download()} disabled={exporting.busy}>
            Download broker definitions
          </button>
          <StatusLine status={exporting.status} />
        </div>
        <form onSubmit={upload} aria-label="Import definitions">
          <h3>Import definitions</h3>
          <label class="field">
            <span>Definitions file</span>
            <input type="file" accept=".json,application/json" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          </label>
          <button type="submit" disabled={importing.busy || file === null}>
            Upload broker definitions
          </button>
          <StatusLine status={importing.status} />
        </form>
      </div>
    </Section>
  );
}
