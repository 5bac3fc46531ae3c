/** A paged, filtered list as RabbitMQ's UI asks for it: ?page=&page_size=&name=&use_regex=&pagination=true. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, seg } from '../api';
import { num } from '../format';
import { useApi, type Loaded } from '../hooks';
import { useVhost } from '../vhost';

export interface Page<T> {
  items: T[];
  page: number;
  page_count: number;
  page_size: number;
  filtered_count: number;
  total_count: number;
}

/**
 * The list of `resource`, following the header's virtual host: `queues/{vhost}` where the API has
 * such a path (`byPath`), else the page's items filtered here (connections, channels).
 */
export function usePaged<T extends { vhost: string }>(resource: string, byPath: boolean, pageSize = 100): { list: Loaded<Page<T>>; controls: JSX.Element } {
  const { vhost } = useVhost();
  const [page, setPage] = useState(1);
  const [size, setSize] = useState(pageSize);
  const [filter, setFilter] = useState('');
  const [regex, setRegex] = useState(false);
  const query = `page=${page}&page_size=${size}&name=${encodeURIComponent(filter)}&use_regex=${regex}&pagination=true`;
  const url = `${resource}${byPath && vhost !== '' ? `/${seg(vhost)}` : ''}?${query}`;
  const loaded = useApi(() => api.get<Page<T>>(url), url);
  const list: Loaded<Page<T>> =
    byPath || vhost === '' || loaded.data === undefined ? loaded : { ...loaded, data: { ...loaded.data, items: loaded.data.items.filter((i) => i.vhost === vhost) } };
  const d = list.data;
  const pages = Math.max(1, d?.page_count ?? 1);
  const controls = (
    <div class="pager">
      <label class="field inline">
        <span>Page</span>
        <select value={String(page)} onChange={(e) => setPage(Number(e.currentTarget.value))}>
          {Array.from({ length: pages }, (_, i) => (
            <option key={i} value={String(i + 1)}>
              {i + 1}
            </option>
          ))}
        </select>
      </label>
      <span class="muted">of {pages}</span>
      <label class="field inline">
        <span>Filter</span>
        <input
          value={filter}
          onInput={(e) => {
            setFilter(e.currentTarget.value);
            setPage(1);
          }}
        />
      </label>
      <label class="check">
        <input type="checkbox" checked={regex} onChange={(e) => setRegex(e.currentTarget.checked)} />
        <span>Regex</span>
      </label>
      <label class="field inline">
        <span>Displaying per page</span>
        <select
          value={String(size)}
          onChange={(e) => {
            setSize(Number(e.currentTarget.value));
            setPage(1);
          }}
        >
          {[20, 50, 100, 500].map((n) => (
            <option key={n} value={String(n)}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <span class="muted">{d === undefined ? '' : `${num(d.filtered_count)} of ${num(d.total_count)} items`}</span>
    </div>
  );
  return { list, controls };
}
