/**
 * The list_* verbs' common path: check the info keys (before any banner, as rabbitmqctl), print
 * the banners, GET the list and print the table.
 */
import type { CtlError } from './client.js';
import type { Ctl } from './context.js';
import { columnsOf, rowsOf, type ColumnSpec } from './output.js';

export interface Listing {
  readonly spec: ColumnSpec;
  /** the info keys given on the command line */
  readonly asked: readonly string[];
  readonly banners: readonly string[];
  readonly path: string;
  /**
   * A 404 (the vhost is missing): 'empty' prints an empty list and succeeds, as rabbitmqctl's
   * list_queues does; a function gives the error (list_permissions: 65).
   */
  readonly missing: 'empty' | (() => CtlError);
  /** keeps some items only */
  readonly filter?: (item: Record<string, unknown>) => boolean;
}

export async function list(ctl: Ctl, listing: Listing): Promise<void> {
  const columns = columnsOf(listing.spec, listing.asked);
  for (const line of listing.banners) ctl.out.info(line);
  const answer = await ctl.api.request('GET', listing.path);
  let items: Record<string, unknown>[];
  if (answer.status === 404 && listing.missing === 'empty') items = [];
  else if (answer.status >= 200 && answer.status < 300 && Array.isArray(answer.body)) items = answer.body as Record<string, unknown>[];
  else throw ctl.api.failure(answer, listing.missing === 'empty' ? undefined : listing.missing);
  if (listing.filter) items = items.filter(listing.filter);
  ctl.out.table(columns, rowsOf(listing.spec, columns, items));
}
