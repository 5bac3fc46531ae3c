import type BetterSqlite3 from 'better-sqlite3';
import { StoreError, StoreErrorCode } from './errors.js';
import type { StoredMessage } from './storage.js';

/**
 * Properties and bodies of neighbouring messages are read as one blob of at most this many
 * bytes, and each message's are views into it. A message held unacked pins its blob, so this
 * bounds what one held message keeps alive besides itself.
 */
export const GROUP_BYTES = 32 * 1024;

type MetaRow = [id: number, exchange: string, routingKey: string, propertiesLength: number, bodyLength: number];

/**
 * Reads the messages of an id range (a page of a queue) without allocating native memory per
 * message. better-sqlite3 copies every BLOB column into a Buffer of its own, which is a malloc
 * (plus its backing-store record) per row and column: draining 1 M paged 16 B messages made
 * ~4 M such allocations, freed only when V8 collects the Buffers, and left ~90 MiB of glibc heap
 * behind after the drain (fragmented, never trimmed). Here the metadata rows hold only numbers
 * and strings (V8 heap), and the bytes come as one blob per group of rows.
 */
export class MessageRangeReader {
  private readonly metaStmt: BetterSqlite3.Statement;
  private readonly blobStmt: BetterSqlite3.Statement;
  private readonly rowStmt: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database) {
    // length() of a BLOB column reads the record header only, not the bytes.
    this.metaStmt = db
      .prepare('SELECT id, exchange, routing_key, length(properties), length(body) FROM messages WHERE id BETWEEN ? AND ? ORDER BY id')
      .raw(true);
    // `||` joins the raw bytes (the result is typed TEXT, but no byte is changed); the CAST makes
    // it a BLOB again so that it reaches JS as a Buffer, not a decoded string.
    this.blobStmt = db
      .prepare("SELECT CAST(group_concat(properties || body, '' ORDER BY id) AS BLOB) FROM messages WHERE id BETWEEN ? AND ?")
      .pluck();
    this.rowStmt = db.prepare('SELECT properties, body FROM messages WHERE id = ?').raw(true);
  }

  /** The messages with ids in [first, last], in id order. */
  read(first: number, last: number): StoredMessage[] {
    const rows = this.metaStmt.all(first, last) as MetaRow[];
    const out = new Array<StoredMessage>(rows.length);
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as MetaRow;
      const size = row[3] + row[4];
      if (bytes + size > GROUP_BYTES && i > start) {
        this.readGroup(rows, start, i, out);
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
    if (start < rows.length) this.readGroup(rows, start, rows.length, out);
    return out;
  }

  /** rows[from, to) from one blob. */
  private readGroup(rows: MetaRow[], from: number, to: number, out: StoredMessage[]): void {
    const first = rows[from] as MetaRow;
    const blob = this.blobStmt.get(first[0], (rows[to - 1] as MetaRow)[0]) as Buffer | null;
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
    // Rows are only ever read and written on this connection, synchronously: the blob is exactly
    // the rows the metadata saw; a mismatch is a damaged database.
    if ((blob?.length ?? 0) !== offset) {
      throw new StoreError(StoreErrorCode.Corrupt, `messages ${first[0]}..: a blob of ${blob?.length ?? 0} bytes, expected ${offset}`);
    }
  }
}

const EMPTY = Buffer.alloc(0);
