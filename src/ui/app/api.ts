/**
 * The UI's only way to the broker: the management HTTP API with basic auth. The credentials live
 * in sessionStorage (RabbitMQ's UI keeps them in a cookie for the session), so a reload stays
 * logged in and closing the tab logs out.
 */
const STORAGE_KEY = 'warren-auth';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason === '' ? `HTTP ${status}` : reason);
  }
}

/** base64 of UTF-8 (btoa alone takes only Latin-1). */
function base64(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

export const credentials = {
  get: (): string | null => sessionStorage.getItem(STORAGE_KEY),
  set: (user: string, password: string): void => sessionStorage.setItem(STORAGE_KEY, base64(`${user}:${password}`)),
  clear: (): void => sessionStorage.removeItem(STORAGE_KEY),
};

/** A path segment: vhost `/` is `%2F`. */
export const seg = (name: string): string => encodeURIComponent(name);

/** Build an API path from literal parts and names: path`queues/${vh}/${q}` encodes the names. */
export function path(strings: TemplateStringsArray, ...names: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < names.length ? seg(names[i] ?? '') : ''), '');
}

let onUnauthorised: () => void = () => {};
/** Called when the API answers 401 (credentials changed or user deleted): the app shows the login form. */
export function setUnauthorisedHandler(f: () => void): void {
  onUnauthorised = f;
}

async function reasonOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { reason?: unknown; error?: unknown };
    const r = body.reason ?? body.error;
    return typeof r === 'string' ? r : JSON.stringify(r);
  } catch {
    return text.trim();
  }
}

export async function request<T>(method: string, p: string, body?: unknown, auth = credentials.get()): Promise<T> {
  const headers: Record<string, string> = {};
  if (auth !== null) headers['authorization'] = `Basic ${auth}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`api/${p}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) {
    if (res.status === 401 && auth === credentials.get()) onUnauthorised();
    throw new ApiError(res.status, await reasonOf(res));
  }
  const text = await res.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const api = {
  get: <T>(p: string): Promise<T> => request<T>('GET', p),
  put: (p: string, body: unknown = {}): Promise<unknown> => request('PUT', p, body),
  post: <T>(p: string, body: unknown = {}): Promise<T> => request<T>('POST', p, body),
  del: (p: string): Promise<unknown> => request('DELETE', p),
};

/** The user's name and tags, checking a password before storing it. */
export interface WhoAmI {
  name: string;
  tags: string[] | string;
}

export async function login(user: string, password: string): Promise<WhoAmI> {
  const me = await request<WhoAmI>('GET', 'whoami', undefined, base64(`${user}:${password}`));
  credentials.set(user, password);
  return me;
}

/**
 * Whether the broker has an endpoint (Warren's /api/warren extras may be missing from a build, and
 * RabbitMQ has none): OPTIONS answers 200 with an Allow header for every route the API has, 404 otherwise.
 */
export async function available(p: string): Promise<boolean> {
  try {
    const res = await fetch(`api/${p}`, { method: 'OPTIONS' });
    return res.status !== 404;
  } catch {
    return true;
  }
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
