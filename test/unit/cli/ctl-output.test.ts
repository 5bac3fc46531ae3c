/**
 * `warren ctl`'s output in rabbitmqctl's formats: values as its table formatter prints them
 * (seen with `rabbitmqctl list_queues name arguments` and `list_users` on RabbitMQ 3.10.8),
 * tables with and without banners and headers, the JSON formatter's layout, info key checks.
 */
import { describe, expect, it } from 'vitest';
import { CtlError } from '../../../src/cli/ctl/client.js';
import { cell, columnsOf, Output, rowsOf, type ColumnSpec, type OutputOptions } from '../../../src/cli/ctl/output.js';

function printed(options: Partial<OutputOptions>, print: (out: Output) => void): string {
  let text = '';
  print(new Output({ quiet: false, json: false, headers: true, ...options }, (t) => (text += t)));
  return text;
}

describe('ctl output', () => {
  it('prints values as rabbitmqctl does', () => {
    expect(cell('q')).toBe('q');
    expect(cell(3)).toBe('3');
    expect(cell(false)).toBe('false');
    expect(cell(null)).toBe('');
    expect(cell(['administrator', 'management'])).toBe('[administrator, management]');
    expect(cell({})).toBe('[]');
    expect(cell({ 'x-dead-letter-exchange': 'dlx', 'x-max-length': 10 })).toBe('[{"x-dead-letter-exchange","dlx"},{"x-max-length",10}]');
  });

  it('prints banners, a header row and tab-separated rows; -q, --no-table-headers and --json change that', () => {
    const table = (out: Output): void => {
      out.info('Listing users ...');
      out.table(['user', 'tags'], [['guest', ['administrator']]]);
    };
    expect(printed({}, table)).toBe('Listing users ...\nuser\ttags\nguest\t[administrator]\n');
    expect(printed({ quiet: true }, table)).toBe('user\ttags\nguest\t[administrator]\n');
    expect(printed({ quiet: true, headers: false }, table)).toBe('guest\t[administrator]\n');
    expect(printed({ json: true }, table)).toBe('[\n{"user":"guest","tags":["administrator"]}\n]\n');
    // No rows: no header row (rabbitmqctl), and an empty JSON array.
    expect(printed({}, (out) => out.table(['name'], []))).toBe('');
    expect(printed({ json: true }, (out) => out.table(['name'], []))).toBe('[\n]\n');
  });

  it('takes the info keys asked for, space- or comma-separated, and refuses unknown ones with 64', () => {
    const spec: ColumnSpec = { keys: ['name', 'messages', 'consumers', 'source_kind'], defaults: ['name', 'messages'], derived: { source_kind: () => 'exchange' } };
    expect(columnsOf(spec, [])).toEqual(['name', 'messages']);
    expect(columnsOf(spec, ['name,consumers', 'source_kind'])).toEqual(['name', 'consumers', 'source_kind']);
    expect(rowsOf(spec, ['name', 'source_kind'], [{ name: 'q' }])).toEqual([['q', 'exchange']]);
    let error: unknown;
    try {
      columnsOf(spec, ['name', 'pid']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CtlError);
    expect((error as CtlError).exitCode).toBe(64);
    expect((error as CtlError).message).toBe('Info key(s) pid are not supported');
  });
});
