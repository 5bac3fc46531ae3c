/**
 * The node: status (from /api/overview, /api/nodes and /api/vhosts), await_startup (polls until
 * the API answers that the node serves clients), trace_on and trace_off (the vhost's `tracing`
 * flag, PUT /api/vhosts/{vh} as RabbitMQ's API does it).
 */
import type { Command } from 'commander';
import { CtlError, EXIT, noVhost, seg, type CtlClient } from './client.js';
import { run, type Ctl } from './context.js';

/** rabbitmqctl await_startup's default timeout, seconds */
const AWAIT_DEFAULT_TIMEOUT = 300;
const POLL_MS = 200;

type Json = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const gb = (bytes: unknown): string => `${Math.round((num(bytes) / 1e9) * 10000) / 10000} gb`;

/** The node's state, as rabbitmqctl status's sections. */
async function statusOf(c: Ctl): Promise<Json> {
  const overview = (await c.api.get('/api/overview')).body as Json;
  const nodes = (await c.api.get('/api/nodes')).body as Json[];
  const vhosts = (await c.api.get('/api/vhosts')).body as Json[];
  const node = nodes.find((n) => n['name'] === overview['node']) ?? nodes[0] ?? {};
  const totals = (overview['object_totals'] ?? {}) as Json;
  const alarms = [...(node['mem_alarm'] === true ? ['memory'] : []), ...(node['disk_free_alarm'] === true ? ['disk'] : [])];
  return {
    node_name: overview['node'],
    pid: node['os_pid'],
    product_name: overview['product_name'],
    product_version: overview['product_version'],
    rabbitmq_version: overview['rabbitmq_version'],
    uptime: Math.floor(num(node['uptime']) / 1000),
    alarms,
    memory: { total: node['mem_used'], limit: node['mem_limit'], strategy: node['mem_calculation_strategy'] },
    file_descriptors: { used: node['fd_used'], total: node['fd_total'], sockets_used: node['sockets_used'], sockets_total: node['sockets_total'] },
    disk_free: node['disk_free'],
    disk_free_limit: node['disk_free_limit'],
    totals: { connection_count: totals['connections'], queue_count: totals['queues'], virtual_host_count: vhosts.length },
    listeners: overview['listeners'] ?? [],
  };
}

const PURPOSES: Record<string, string> = {
  amqp: 'AMQP 0-9-1 and AMQP 1.0',
  'amqp/ssl': 'AMQP 0-9-1 and AMQP 1.0 over TLS',
  http: 'HTTP API',
  https: 'HTTP API over TLS (HTTPS)',
  'http/prometheus': 'Prometheus exporter API over HTTP',
};

function printStatus(c: Ctl, s: Json): void {
  const memory = s['memory'] as Json;
  const fds = s['file_descriptors'] as Json;
  const totals = s['totals'] as Json;
  const alarms = s['alarms'] as string[];
  const listeners = s['listeners'] as Json[];
  c.out.info(`Status of node ${String(s['node_name'])} ...`);
  const lines = [
    'Runtime',
    '',
    `OS PID: ${String(s['pid'])}`,
    `Uptime (seconds): ${String(s['uptime'])}`,
    ...(s['product_name'] === 'RabbitMQ' || s['product_name'] === undefined
      ? []
      : [`${String(s['product_name'])} version: ${String(s['product_version'])}`]),
    `RabbitMQ version: ${String(s['rabbitmq_version'])}`,
    `Node name: ${String(s['node_name'])}`,
    '',
    'Alarms',
    '',
    ...(alarms.length === 0 ? ['(none)'] : alarms.map((a) => (a === 'memory' ? 'Memory alarm' : 'Free disk space alarm'))),
    '',
    'Memory',
    '',
    `Total memory used: ${gb(memory['total'])}`,
    `Calculation strategy: ${String(memory['strategy'] ?? 'rss')}`,
    `Memory high watermark setting: ${gb(memory['limit'])}`,
    '',
    'File Descriptors',
    '',
    `Total: ${String(fds['used'])}, limit: ${String(fds['total'])}`,
    `Sockets: ${String(fds['sockets_used'])}, limit: ${String(fds['sockets_total'])}`,
    '',
    'Free Disk Space',
    '',
    `Low free disk space watermark: ${gb(s['disk_free_limit'])}`,
    `Free disk space: ${gb(s['disk_free'])}`,
    '',
    'Totals',
    '',
    `Connection count: ${String(totals['connection_count'])}`,
    `Queue count: ${String(totals['queue_count'])}`,
    `Virtual host count: ${String(totals['virtual_host_count'])}`,
    '',
    'Listeners',
    '',
    ...listeners.map((l) => {
      const protocol = String(l['protocol']);
      const ip = String(l['ip_address']);
      return `Interface: ${ip.includes(':') ? `[${ip}]` : ip}, port: ${String(l['port'])}, protocol: ${protocol}, purpose: ${PURPOSES[protocol] ?? protocol}`;
    }),
  ];
  c.out.result(lines.join('\n'));
}

/** True when the API says the node serves clients; false while it cannot be reached or is not ready. */
async function ready(api: CtlClient): Promise<boolean> {
  const check = await api.request('GET', '/api/health/checks/ready-to-serve-clients');
  // RabbitMQ before 3.11 (and Warren) lack that check: an answering /api/overview means up.
  const answer = check.status === 404 ? await api.request('GET', '/api/overview') : check;
  if (answer.status === 401) throw api.failure(answer);
  return answer.status >= 200 && answer.status < 300;
}

async function awaitStartup(c: Ctl): Promise<void> {
  const seconds = c.timeoutGiven ? c.timeout : AWAIT_DEFAULT_TIMEOUT;
  const deadline = Date.now() + seconds * 1000;
  let last = 'not ready';
  for (;;) {
    const left = deadline - Date.now();
    try {
      if (await ready(c.api.withTimeout(Math.max(100, Math.min(5000, left))))) return;
    } catch (err) {
      if (!(err instanceof CtlError) || err.exitCode !== EXIT.unavailable) throw err;
      last = err.message;
    }
    if (Date.now() + POLL_MS > deadline) throw new CtlError(EXIT.unavailable, `the node did not start within ${seconds} seconds: ${last}`);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

/** Sets the vhost's tracing flag, sending its description and tags back (RabbitMQ's PUT resets what it is not given). */
async function setTracing(c: Ctl, on: boolean): Promise<void> {
  const path = `/api/vhosts/${seg(c.vhost)}`;
  const vhost = await c.api.find(path);
  if (vhost === undefined) throw noVhost(c.vhost)();
  const body: Json = { tracing: on };
  if (typeof vhost['description'] === 'string') body['description'] = vhost['description'];
  if (Array.isArray(vhost['tags'])) body['tags'] = vhost['tags'].join(',');
  const dqt = vhost['default_queue_type'];
  if (typeof dqt === 'string' && dqt !== 'undefined') body['default_queue_type'] = dqt;
  await c.api.put(path, body);
  const after = await c.api.find(path);
  if (after?.['tracing'] !== on) throw new CtlError(EXIT.software, `the API did not turn tracing ${on ? 'on' : 'off'} for vhost ${c.vhost}`);
}

export function registerStatus(ctl: Command): void {
  ctl
    .command('status')
    .description("shows the node's version, uptime, alarms, memory, file descriptors, disk, totals and listeners")
    .action(
      run(async (c) => {
        const status = await statusOf(c);
        if (c.out.json) c.out.value(status);
        else printStatus(c, status);
      }),
    );

  ctl
    .command('await_startup')
    .description(`waits until the node serves clients (-t seconds, default ${AWAIT_DEFAULT_TIMEOUT}); exits 69 if it does not`)
    .action(run((c) => awaitStartup(c)));

  ctl
    .command('trace_on')
    .description('turns the firehose tracer on for the vhost (-p): messages are copied to amq.rabbitmq.trace')
    .action(
      run(async (c) => {
        c.out.info(`Starting tracing for vhost "${c.vhost}" ...`);
        await setTracing(c, true);
        c.out.result(`Trace enabled for vhost ${c.vhost}`);
      }),
    );

  ctl
    .command('trace_off')
    .description('turns the firehose tracer off for the vhost (-p)')
    .action(
      run(async (c) => {
        c.out.info(`Stopping tracing for vhost "${c.vhost}" ...`);
        await setTracing(c, false);
        c.out.result(`Trace disabled for vhost ${c.vhost}`);
      }),
    );
}
