/** Building blocks every page uses: sections, notes, form fields, key/value tables. */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { available, errorText } from '../api';
import type { Status } from '../hooks';

/** A titled section, folded like RabbitMQ's collapsible h2 sections. */
export function Section({ title, open = true, children }: { title: string; open?: boolean; children: ComponentChildren }): JSX.Element {
  return (
    <details class="section" open={open}>
      <summary>
        <h2>{title}</h2>
      </summary>
      <div class="section-body">{children}</div>
    </details>
  );
}

/** An API error in words. */
export function ErrorNote({ error }: { error: unknown }): JSX.Element | null {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

/**
 * The children when the API has the endpoint `probe` (checked once), else a note that `feature`
 * is not available: Warren's /api/warren extras are optional to a client of the API.
 */
export function IfAvailable({ probe, feature, children }: { probe: string; feature: string; children: ComponentChildren }): JSX.Element {
  const [has, setHas] = useState<boolean | null>(null);
  useEffect(() => {
    let live = true;
    void available(probe).then((h) => live && setHas(h));
    return () => {
      live = false;
    };
  }, [probe]);
  if (has === null) return <Loading />;
  if (!has) return <p class="note">{feature} is not available on this broker (its API has no such endpoint).</p>;
  return <>{children}</>;
}

export function StatusLine({ status }: { status: Status | null }): JSX.Element | null {
  if (status === null) return null;
  return (
    <p class={status.failed ? 'error' : 'ok'} role={status.failed ? 'alert' : 'status'}>
      {status.text}
    </p>
  );
}

export const Loading = (): JSX.Element => <p class="muted">Loading…</p>;

interface InputProps {
  type?: 'text' | 'number' | 'password';
  required?: boolean;
  placeholder?: string;
  min?: number;
  autocomplete?: string;
}

/** A labelled text input bound to a string. */
export function Field({ label, value, set, type = 'text', required = false, placeholder = '', min, autocomplete = 'off' }: { label: string; value: string; set: (v: string) => void } & InputProps): JSX.Element {
  return (
    <label class="field">
      <span>{label}</span>
      <input type={type as 'text'} required={required} placeholder={placeholder} min={min} autocomplete={autocomplete} value={value} onInput={(e) => set(e.currentTarget.value)} />
    </label>
  );
}

export function TextArea({ label, value, set, rows = 4 }: { label: string; value: string; set: (v: string) => void; rows?: number }): JSX.Element {
  return (
    <label class="field">
      <span>{label}</span>
      <textarea rows={rows} value={value} onInput={(e) => set(e.currentTarget.value)} />
    </label>
  );
}

export function Select({ label, value, set, options }: { label: string; value: string; set: (v: string) => void; options: readonly (string | readonly [string, string])[] }): JSX.Element {
  return (
    <label class="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => set(e.currentTarget.value)}>
        {options.map((o) => {
          const [v, text] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </label>
  );
}

export function Check({ label, checked, set }: { label: string; checked: boolean; set: (v: boolean) => void }): JSX.Element {
  return (
    <label class="check">
      <input type="checkbox" checked={checked} onChange={(e) => set(e.currentTarget.checked)} />
      <span>{label}</span>
    </label>
  );
}

/** Rows of label: value, as RabbitMQ's details tables. */
export function Facts({ rows }: { rows: readonly (readonly [string, ComponentChildren])[] }): JSX.Element {
  return (
    <table class="facts">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A list table: column headings and rows of cells; a message when empty. */
export function Table({ head, rows, empty = 'Nothing to show.', label }: { head: readonly string[]; rows: readonly ComponentChildren[][]; empty?: string; label: string }): JSX.Element {
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <div class="table-wrap">
      <table class="list" aria-label={label}>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((cells, i) => (
            <tr key={i}>
              {cells.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Parse "key=value" lines (RabbitMQ's argument rows) into an object; numbers and booleans as such. */
export function parseArgs(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at).trim();
    const raw = line.slice(at + 1).trim();
    out[key] = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
  }
  return out;
}
