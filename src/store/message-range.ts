import type BetterSqlite3 from 'better-sqlite3';
import { StoreError, StoreErrorCode } from './errors.js';
import type { StoredMessage } from './storage.js';

/**
 * Properties and bodies of neighbouring messages are read as one blob of at most this many
 * bytes, and each message's are views into it. A message held unacked pins its blob, so this
 * bounds what one held message keeps alive besides itself.
 */
export const GROUP_BYTES = 32 * 1024;

/** id, exchange, routing key, length of properties, length of body; then, for a list, the index in it. */
type MetaRow = [id: number, exchange: string, routingKey: string, propertiesLength: number, bodyLength: number, index?: number];

const META = 'm.id, m.exchange, m.routing_key, length(m.properties), length(m.body)';
// `||` joins the raw bytes (the result is typed TEXT, but no byte is changed); the CAST makes it
// a BLOB again so that it reaches JS as a Buffer, not a decoded string.
const BYTES = "CAST(group_concat(m.properties || m.body, '' ORDER BY";
/** The ids of a JSON array, in its order (json_each's key is the index). */
const LISTED = 'json_each(?) AS j JOIN messages AS m ON m.id = j.value';

/**
 * Reads several messages (a page of a queue) without allocating native memory per message.
 * better-sqlite3 copies every BLOB column into a Buffer of its own, which is a malloc (plus its
 * backing-store record) per row and column: draining 1 M paged 16 B messages made ~4 M such
 * allocations, freed only when V8 collects the Buffers, and left ~90 MiB of glibc heap behind
 * after the drain (fragmented, never trimmed). Here the metadata rows hold only numbers and
 * strings (V8 heap), and the bytes come as one blob per group of rows.
 */
export class MessageRangeReader {
  private readonly rangeMetaStmt: BetterSqlite3.Statement;
  private readonly rangeBlobStmt: BetterSqlite3.Statement;
  private readonly listMetaStmt: BetterSqlite3.Statement;
  private readonly listBlobStmt: BetterSqlite3.Statement;
  private readonly rowStmt: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database) {
    // length() of a BLOB column reads the record header only, not the bytes.
    this.rangeMetaStmt = db.prepare(`SELECT ${META} FROM messages AS m WHERE m.id BETWEEN ? AND ? ORDER BY m.id`).raw(true);
    this.rangeBlobStmt = db.prepare(`SELECT ${BYTES} m.id) AS BLOB) FROM messages AS m WHERE m.id BETWEEN ? AND ?`).pluck();
    this.listMetaStmt = db.prepare(`SELECT ${META}, j.key FROM ${LISTED} ORDER BY j.key`).raw(true);
    this.listBlobStmt = db.prepare(`SELECT ${BYTES} j.key) AS BLOB) FROM ${LISTED}`).pluck();
    this.rowStmt = db.prepare('SELECT properties, body FROM messages WHERE id = ?').raw(true);
  }

  /** The messages with ids in [first, last], in id order: one range scan (a page of dense ids). */
  read(first: number, last: number): StoredMessage[] {
    const rows = this.rangeMetaStmt.all(first, last) as MetaRow[];
    return this.assemble(rows, (from, to) => this.rangeBlobStmt.get((rows[from] as MetaRow)[0], (rows[to - 1] as MetaRow)[0]));
  }

  /** The messages of `ids`, aligned with it (undefined where missing): scattered ids, one statement. */
  readList(ids: ArrayLike<number>): (StoredMessage | undefined)[] {
    const rows = this.listMetaStmt.all(JSON.stringify(Array.from(ids))) as MetaRow[];
    const found = this.assemble(rows, (from, to) => {
      const group = new Array<number>(to - from);
      for (let i = from; i < to; i++) group[i - from] = (rows[i] as MetaRow)[0];
      return this.listBlobStmt.get(JSON.stringify(group));
    });
    const out = new Array<StoredMessage | undefined>(ids.length).fill(undefined);
    for (let i = 0; i < rows.length; i++) out[(rows[i] as MetaRow)[5] as number] = found[i];
    return out;
  }

  /** Messages for `rows`, their bytes read by `blobOf(from, to)` for groups of neighbouring rows. */
  private assemble(rows: MetaRow[], blobOf: (from: number, to: number) => unknown): StoredMessage[] {
    const out = new Array<StoredMessage>(rows.length);
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as MetaRow;
      const size = row[3] + row[4];
      if (bytes + size > GROUP_BYTES && i > start) {
        this.split(rows, start, i, blobOf(start, i) as Buffer | null, out);
        start = i;
        bytes = 0;
      }
      if (size >= GROUP_BYTES) {
        // A large message is a blob on its own: read its two columns as they are.
        const [properties, body] = this.rowStmt.get(row[0]) as [Buffer, Buffer];
        out[i] = { id: row[0], exchange: row[1], routingKey: row[2], properties, body };
        start = i + 1;
        continue;
      }
      bytes += size;
    }
    if (start < rows.length) this.split(rows, start, rows.length, blobOf(start, rows.length) as Buffer | null, out);
    return out;
  }

  /** rows[from, to) as views into their blob. */
  private split(rows: MetaRow[], from: number, to: number, blob: Buffer | null, out: StoredMessage[]): void {
    let offset = 0;
    for (let i = from; i < to; i++) {
      const [id, exchange, routingKey, propertiesLength, bodyLength] = rows[i] as MetaRow;
      const propertiesEnd = offset + propertiesLength;
      const end = propertiesEnd + bodyLength;
      const properties = blob === null ? EMPTY : blob.subarray(offset, propertiesEnd);
      const body = blob === null ? EMPTY : blob.subarray(propertiesEnd, end);
      out[i] = { id, exchange, routingKey, properties, body };
      offset = end;
    }
    // Rows are only ever read and written on this connection, synchronously: the blob holds exactly
    // the rows the metadata saw; a mismatch is a damaged database.
    if ((blob?.length ?? 0) !== offset) {
      const what = `messages ${(rows[from] as MetaRow)[0]}..${(rows[to - 1] as MetaRow)[0]}`;
      throw new StoreError(StoreErrorCode.Corrupt, `${what}: a blob of ${blob?.length ?? 0} bytes, expected ${offset}`);
    }
  }
}

const EMPTY = Buffer.alloc(0);
