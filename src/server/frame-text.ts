/**
 * RabbitMQ describes a bad frame by its type and octets as an Erlang binary:
 * "type 1, all octets = <<0,20,0,10,0>>", or "first 16 octets = <<...>>" for longer payloads.
 * A binary of printable characters prints as a string: <<"x">>.
 */
export function describeFrame(type: number, payload: Buffer): string {
  const all = payload.length <= 16;
  const shown = all ? payload : payload.subarray(0, 16);
  return `type ${type}, ${all ? 'all' : 'first 16'} octets = ${erlangBinary(shown)}`;
}

export function erlangBinary(b: Buffer): string {
  if (b.length === 0) return '<<>>';
  let printable = true;
  for (const byte of b) {
    if (byte < 0x20 || byte > 0x7e) {
      printable = false;
      break;
    }
  }
  if (printable) return `<<${JSON.stringify(b.toString('latin1'))}>>`;
  return `<<${[...b].join(',')}>>`;
}
