import type { FieldTable } from '../amqp/field-types.js';

/**
 * What publishing decides on, read from raw basic properties without building the headers table.
 * Filled in place (one per publisher, reused): no allocation per message.
 */
export interface MessageTraits {
  /** 0 when unset; 2 = persistent */
  deliveryMode: number;
  /** -1 = unset */
  priority: number;
  expiration: string | undefined;
  userId: string | undefined;
  replyTo: string | undefined;
  hasHeaders: boolean;
}

/** Decode/encode of raw basic properties and field tables, injected so the broker core stays free of the codec. */
export interface PropertiesCodec {
  decode(raw: Buffer): { headers?: FieldTable; expiration?: string; deliveryMode?: number; priority?: number; replyTo?: string } & Record<
    string,
    unknown
  >;
  encode(props: Record<string, unknown>): Buffer;
  encodeTable(table: FieldTable): Buffer;
  decodeTable(raw: Buffer): FieldTable;
  /** Fill `out` from raw properties; malformed properties throw the protocol's syntax error. */
  readTraits(raw: Buffer, out: MessageTraits): void;
}
