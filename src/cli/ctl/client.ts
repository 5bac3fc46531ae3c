/**
 * The management API as `warren ctl` sees it: HTTP with basic auth and a timeout, and the
 * failures turned into rabbitmqctl's exit codes (sysexits.h, as rabbitmqctl uses them).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** rabbitmqctl's exit codes. */
export const EXIT = {
  ok: 0,
  /** bad arguments or options */
  usage: 64,
  /** bad input data: a missing vhost for some verbs, an unreadable definitions file */
  dataErr: 65,
  /** the user named does not exist */
  noUser: 67,
  /** the node cannot be reached, or answered 503 */
  unavailable: 69,
  /** any other error the API reports */
  software: 70,
} as const;

/** A failure of a verb: the exit code and the message printed on stderr. */
export class CtlError extends Error {
  readonly code = 'WARREN_CTL';
  constructor(
    readonly exitCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface ApiAnswer {
  readonly status: number;
  /** the JSON body, or undefined when empty or not JSON */
  readonly body: unknown;
  readonly text: string;
}

export interface ClientOptions {
  /** base URL, e.g. http://localhost:15672; user info in it is used when user/password are not given */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** per request, milliseconds */
  readonly timeoutMs: number;
}

/**
 * One HTTP exchange with node:http (fetch would do, but loading it costs a short-lived CLI
 * about 0.2 s of CPU). Rejects on a socket error or when no full answer came within `timeoutMs`.
 */
function send(url: URL, method: string, headers: Record<string, string>, payload: Buffer | undefined, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} seconds`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(payload);
  });
}

/** `%2F` for `/`: a path segment. */
export const seg = (name: string): string => encodeURIComponent(name);

/** RabbitMQ HTML-escapes reasons (rabbit_mgmt_util:bad_request); a terminal wants them plain. */
function unescapeHtml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The API's reason for an error answer: `reason`, else `error`, else the status line. */
export function reasonOf(answer: ApiAnswer): string {
  const body = answer.body as { error?: unknown; reason?: unknown } | undefined;
  const pick = (v: unknown): string | undefined => (typeof v === 'string' ? v : v === undefined || v === null ? undefined : JSON.stringify(v));
  const reason = pick(body?.reason) ?? pick(body?.error) ?? (answer.text.trim() || `HTTP ${answer.status}`);
  return unescapeHtml(reason);
}

export class CtlClient {
  readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  /** The same API with another per-request timeout. */
  withTimeout(timeoutMs: number): CtlClient {
    return new CtlClient({ ...this.options, timeoutMs });
  }

  /** One request; throws CtlError(69) when the API cannot be reached or does not answer in time. */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
    const auth = Buffer.from(`${this.options.user}:${this.options.password}`).toString('base64');
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const all: Record<string, string> = {
      authorization: `Basic ${auth}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
      ...headers,
    };
    let status: number;
    let text: string;
    try {
      ({ status, text } = await send(new URL(this.base + path), method, all, payload, this.options.timeoutMs));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new CtlError(EXIT.unavailable, `unable to reach the management API at ${this.base}: ${why}`, { cause: err });
    }
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status, body: parsed, text };
  }

  /**
   * A request that must succeed (2xx). A 404 becomes `notFound()` when given; 503 is 69
   * (unavailable); 401 names the credentials; anything else is 70 with the API's reason.
   */
  async must(method: string, path: string, body?: unknown, opts: MustOptions = {}): Promise<ApiAnswer> {
    const answer = await this.request(method, path, body, opts.headers);
    if (answer.status >= 200 && answer.status < 300) return answer;
    throw this.failure(answer, opts.notFound);
  }

  /** The error of a non-2xx answer. */
  failure(answer: ApiAnswer, notFound?: () => CtlError): CtlError {
    if (answer.status === 404 && notFound !== undefined) return notFound();
    if (answer.status === 503) return new CtlError(EXIT.unavailable, `the management API is unavailable: ${reasonOf(answer)}`);
    if (answer.status === 401) {
      return new CtlError(EXIT.software, `the management API refused the credentials of user "${this.options.user}": ${reasonOf(answer)}`);
    }
    return new CtlError(EXIT.software, reasonOf(answer));
  }

  get = (path: string, opts?: MustOptions): Promise<ApiAnswer> => this.must('GET', path, undefined, opts);
  put = (path: string, body: unknown, opts?: MustOptions): Promise<ApiAnswer> => this.must('PUT', path, body, opts);
  post = (path: string, body: unknown, opts?: MustOptions): Promise<ApiAnswer> => this.must('POST', path, body, opts);
  delete = (path: string, opts?: MustOptions): Promise<ApiAnswer> => this.must('DELETE', path, undefined, opts);

  /** GET of an object that may be missing: undefined on 404. */
  async find(path: string): Promise<Record<string, unknown> | undefined> {
    const answer = await this.request('GET', path);
    if (answer.status === 404) return undefined;
    if (answer.status >= 200 && answer.status < 300) return answer.body as Record<string, unknown>;
    throw this.failure(answer);
  }
}

export interface MustOptions {
  readonly headers?: Record<string, string>;
  /** the error of a 404 (by default a 404 is a 70 with the API's reason) */
  readonly notFound?: () => CtlError;
}

/** rabbitmqctl's errors for missing objects. */
export const noUser = (user: string) => (): CtlError => new CtlError(EXIT.noUser, `User "${user}" does not exist`);
export const noVhost = (vhost: string) => (): CtlError => new CtlError(EXIT.dataErr, `Virtual host '${vhost}' does not exist`);
