/**
 * Values of AMQP field tables, as RabbitMQ types them (tags t b B s u I i l f d D S A T F V x).
 * Pure data: the broker core may import this module (it knows nothing of frames).
 *
 * Decoding gives plain JS values where the encoder's default for that value writes the same tag,
 * and a FieldTyped wrapper otherwise, so decode -> encode is byte-exact for every table.
 *
 * Encoder defaults for plain values:
 *   boolean -> 't'; integer number in int32 range -> 'I'; other safe integer -> 'l';
 *   non-integer number -> 'd'; bigint -> 'l'; string -> 'S'; Buffer -> 'x'; Date -> 'T' (seconds);
 *   Decimal -> 'D'; array -> 'A'; null / undefined -> 'V'; plain object -> 'F'.
 */
export type FieldTag = 't' | 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'l' | 'f' | 'd' | 'D' | 'S' | 'A' | 'T' | 'F' | 'V' | 'x';

export class Decimal {
  constructor(
    readonly scale: number,
    readonly value: number,
  ) {}
}

/** A value whose tag differs from the encoder's default for its JS value. */
export class FieldTyped {
  constructor(
    readonly type: FieldTag,
    readonly value: number | bigint | string | Buffer,
  ) {}
}

export type FieldValue =
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | Date
  | Decimal
  | FieldTyped
  | null
  | FieldValue[]
  | FieldTable;

export interface FieldTable {
  [key: string]: FieldValue;
}

/** The numeric value of an integer-like field (number, bigint, typed int/long/timestamp), else undefined. */
export function fieldNumber(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof FieldTyped) {
    if (typeof v.value === 'number') return v.value;
    if (typeof v.value === 'bigint') return Number(v.value);
  }
  return undefined;
}

/** The string value of a string-like field ('S' as string or typed bytes, 's' shortstr, 'x' bytes), else undefined. */
export function fieldString(v: FieldValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof FieldTyped) {
    if (typeof v.value === 'string') return v.value;
    if (Buffer.isBuffer(v.value)) return v.value.toString('utf8');
  }
  return undefined;
}

export function isFieldTable(v: FieldValue | undefined): v is FieldTable {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof Date) &&
    !(v instanceof Decimal) &&
    !(v instanceof FieldTyped)
  );
}
