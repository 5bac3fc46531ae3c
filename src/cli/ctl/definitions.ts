/**
 * export_definitions and import_definitions: the whole broker's definitions (GET and POST
 * /api/definitions) to or from a file, or stdout/stdin with `-`. Files that cannot be read or
 * written, and input that is not JSON, are data errors (65), as in rabbitmqctl.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CtlError, EXIT } from './client.js';
import { run } from './context.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerDefinitions(ctl: Command): void {
  ctl
    .command('export_definitions')
    .argument('<file>', 'a file, or - for stdout')
    .description('writes the definitions (users, vhosts, permissions, queues, exchanges, bindings, policies, ...) as JSON')
    .action(
      run(async (c, [file = '']) => {
        if (file !== '-' && !existsSync(dirname(resolve(file)))) {
          throw new CtlError(EXIT.dataErr, `Bad argument: Directory ${dirname(resolve(file))} does not exist`);
        }
        if (file !== '-') c.out.info(`Exporting definitions in JSON to a file at "${file}" ...`);
        const answer = await c.api.get('/api/definitions');
        if (file === '-') {
          c.out.raw(answer.text);
          return;
        }
        try {
          await writeFile(file, answer.text);
        } catch (err) {
          throw new CtlError(EXIT.dataErr, `cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      }),
    );

  ctl
    .command('import_definitions')
    .argument('<file>', 'a file, or - for stdin')
    .description('imports definitions from a JSON file (as export_definitions or RabbitMQ writes them)')
    .action(
      run(async (c, [file = '']) => {
        let text: string;
        if (file === '-') {
          c.out.info('Importing definitions in JSON from standard input ...');
          text = await readStdin();
        } else {
          if (!existsSync(file)) throw new CtlError(EXIT.dataErr, `Bad argument: File ${file} does not exist`);
          c.out.info(`Importing definitions in JSON from a file at "${file}" ...`);
          text = await readFile(file, 'utf8');
        }
        try {
          JSON.parse(text);
        } catch (err) {
          throw new CtlError(EXIT.dataErr, `Failed to deserialise input (format: JSON) (error: ${err instanceof Error ? err.message : String(err)})`);
        }
        await c.api.post('/api/definitions', text);
        c.out.result('Successfully imported definitions.');
      }),
    );
}
