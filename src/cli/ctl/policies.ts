/** Policies: set_policy, clear_policy, list_policies (per vhost, -p). */
import { InvalidArgumentError, type Command } from 'commander';
import { CtlError, EXIT, noVhost, seg } from './client.js';
import { jsonArgument, run } from './context.js';
import { list } from './list.js';
import type { ColumnSpec } from './output.js';

const POLICY_COLUMNS: ColumnSpec = {
  keys: ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
  defaults: ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
  derived: { definition: (p) => JSON.stringify(p['definition'] ?? {}) },
};

function integer(text: string): number {
  if (!/^-?\d+$/.test(text)) throw new InvalidArgumentError('must be an integer');
  return Number(text);
}

export function registerPolicies(ctl: Command): void {
  ctl
    .command('set_policy')
    .argument('<name>')
    .argument('<pattern>', 'regular expression of the names of the queues or exchanges it applies to')
    .argument('<definition>', 'the policy\'s keys, as JSON: \'{"max-length":1000}\'')
    .option('--priority <n>', 'priority among the policies that match (default 0)', integer)
    .option('--apply-to <kind>', 'queues, exchanges or all (default all)')
    .description('sets a policy in the vhost (-p)')
    .action(
      run(async (c, [name = '', pattern = '', text = ''], opts) => {
        const priority = typeof opts['priority'] === 'number' ? opts['priority'] : 0;
        c.out.info(`Setting policy "${name}" for pattern "${pattern}" to "${text}" with priority "${priority}" for vhost "${c.vhost}" ...`);
        const definition = jsonArgument(text, 'the policy definition');
        const body: Record<string, unknown> = { pattern, definition, priority };
        if (typeof opts['applyTo'] === 'string') body['apply-to'] = opts['applyTo'];
        await c.api.put(`/api/policies/${seg(c.vhost)}/${seg(name)}`, body, { notFound: noVhost(c.vhost) });
      }),
    );

  ctl
    .command('clear_policy')
    .argument('<name>')
    .description('removes a policy from the vhost (-p)')
    .action(
      run(async (c, [name = '']) => {
        c.out.info(`Clearing policy "${name}" on vhost "${c.vhost}" ...`);
        await c.api.delete(`/api/policies/${seg(c.vhost)}/${seg(name)}`, { notFound: () => new CtlError(EXIT.unavailable, 'Parameter does not exist') });
      }),
    );

  ctl
    .command('list_policies')
    .argument('[columns...]')
    .description('lists the policies of the vhost (-p)')
    .action(
      run((c, asked) =>
        list(c, {
          spec: POLICY_COLUMNS,
          asked,
          banners: [`Listing policies for vhost "${c.vhost}" ...`],
          path: `/api/policies/${seg(c.vhost)}`,
          missing: noVhost(c.vhost),
        }),
      ),
    );
}
