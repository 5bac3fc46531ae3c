/** The Admin tab's side menu (RabbitMQ's: Users, Virtual Hosts, Policies, Limits). */
import type { JSX } from 'preact';

const ITEMS = [
  ['users', 'Users'],
  ['vhosts', 'Virtual Hosts'],
  ['policies', 'Policies'],
  ['limits', 'Limits'],
] as const;

export function AdminNav({ current }: { current: string }): JSX.Element {
  return (
    <nav class="subtabs" aria-label="Admin">
      {ITEMS.map(([id, text]) => (
        <a key={id} href={`#/${id}`} class={id === current ? 'current' : ''} aria-current={id === current ? 'page' : undefined}>
          {text}
        </a>
      ))}
    </nav>
  );
}
