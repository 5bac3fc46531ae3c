/**
 * `warren ctl`: rabbitmqctl's verbs over the management HTTP API, so they work against Warren
 * and RabbitMQ alike from any machine that reaches the API. The global options may come anywhere
 * on the line (`warren ctl list_queues -p vh name`), as rabbitmqctl's. Usage errors exit 64.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { EXIT } from './client.js';
import { registerCluster } from './cluster.js';
import { registerConnections } from './connections.js';
import { DEFAULT_TIMEOUT, DEFAULT_URL } from './context.js';
import { registerDefinitions } from './definitions.js';
import { registerPermissions } from './permissions.js';
import { registerPolicies } from './policies.js';
import { registerQueues } from './queues.js';
import { registerStatus } from './status.js';
import { registerUsers } from './users.js';
import { registerVhosts } from './vhosts.js';

function seconds(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

const HELP = `
Exit codes, as rabbitmqctl's: 0 done; 64 usage error (also delete_queue of a missing, non-empty
or used queue); 65 data error (a missing vhost for delete_vhost, trace_on/off and the permission
and policy listings; a definitions file missing or not JSON); 67 no such user; 69 unavailable
(the API cannot be reached or answers 503; a missing vhost for set_permissions, a missing policy,
queue to purge or connection); 70 any other API error (its reason on stderr).`;

export function registerCtl(program: Command): void {
  const ctl = program
    .command('ctl')
    .description("rabbitmqctl's verbs over the management HTTP API (Warren's or RabbitMQ's)")
    .addOption(new Option('--url <url>', `management API URL (default ${DEFAULT_URL})`).env('WARREN_URL'))
    .addOption(new Option('--user <name>', 'API user (default guest, or the URL\'s user)').env('WARREN_USER'))
    .addOption(new Option('--password <password>', 'API password (default guest)').env('WARREN_PASSWORD'))
    .option('-p, --vhost <vhost>', 'virtual host (default /)')
    .option('-t, --timeout <seconds>', `operation timeout (default ${DEFAULT_TIMEOUT}; await_startup: 300)`, seconds)
    .option('-q, --quiet', 'no informational banners')
    .option('--json', 'JSON output (as rabbitmqctl --formatter json), no banners')
    .option('--no-table-headers', 'no header row in tables')
    .addHelpText('after', HELP)
    // Every usage error of ctl and its verbs exits 64 (EX_USAGE); help and version exit 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage));
  registerStatus(ctl);
  registerQueues(ctl);
  registerConnections(ctl);
  registerUsers(ctl);
  registerVhosts(ctl);
  registerPermissions(ctl);
  registerPolicies(ctl);
  registerDefinitions(ctl);
  registerCluster(ctl);
}
