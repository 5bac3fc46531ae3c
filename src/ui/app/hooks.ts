/** Small hooks: data fetched from the API (optionally refreshed on a timer) and the hash route. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  reload: () => void;
}

/** RabbitMQ's UI refreshes every 5 s by default. */
export const REFRESH_MS = 5000;

/**
 * Load `fetch()` now, again when `key` changes, and every `everyMs` (0: once). A refresh that
 * fails keeps the last data and shows the error; the page never goes blank on a hiccup.
 */
export function useApi<T>(fetch: () => Promise<T>, key: string, everyMs = REFRESH_MS): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  const latest = useRef(fetch);
  latest.current = fetch;
  useEffect(() => {
    setData(undefined);
    setError(undefined);
  }, [key]);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = (): void => {
      // A hidden tab does not poll (RabbitMQ's UI does the same); it catches up when shown.
      if (document.hidden && everyMs > 0 && timer !== undefined) {
        timer = setTimeout(run, everyMs);
        return;
      }
      latest.current().then(
        (d) => {
          if (!live) return;
          setData(d);
          setError(undefined);
        },
        (e: unknown) => {
          if (live) setError(e);
        },
      ).finally(() => {
        if (live && everyMs > 0) timer = setTimeout(run, everyMs);
      });
    };
    run();
    return () => {
      live = false;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key, everyMs, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

/** The route after `#/`, split into decoded segments: `#/queues/%2F/q1` is ['queues', '/', 'q1']. */
export function useRoute(): string[] {
  const read = (): string[] =>
    location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter((s) => s !== '')
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = (): void => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** `#/queues/%2F/q1` for ('queues', '/', 'q1'). */
export const href = (...parts: string[]): string => '#/' + parts.map(encodeURIComponent).join('/');

/** The outcome of an action a form ran: shown under the form, red when it failed. */
export interface Status {
  text: string;
  failed: boolean;
}

export type Run = <T>(f: () => Promise<T>, ok?: string | ((result: T) => string)) => Promise<boolean>;

/** Run an action; `status` says how it went (the API's reason when it failed). */
export function useAction(): { busy: boolean; status: Status | null; run: Run } {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status | null>(null);
  const run: Run = useCallback(async <T,>(f: () => Promise<T>, ok: string | ((result: T) => string) = ''): Promise<boolean> => {
    setBusy(true);
    setStatus(null);
    try {
      const result = await f();
      const text = typeof ok === 'string' ? ok : ok(result);
      setStatus(text === '' ? null : { text, failed: false });
      return true;
    } catch (err) {
      setStatus({ text: errorText(err), failed: true });
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, status, run };
}
