/**
 * Preloaded into the broker by test/bench/latency-breakdown.mjs (node --import): logs when the
 * broker read each stamped body from a socket and when it handed the delivery to socket.write,
 * so a latency can be split into publisher → broker, inside the broker, broker → consumer.
 * Patches net.Socket; for diagnosis only, never loaded by the bench's figures.
 */
import net from 'node:net';
import { StampLog } from './stamp-log.mjs';

const reads = new StampLog('broker', 'read');
const writes = new StampLog('broker', 'write');
const now = () => Number(process.hrtime.bigint()) / 1e6;

const emit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (event, chunk, ...rest) {
  if (event === 'data' && chunk.length >= 1024) reads.scan(chunk, now());
  return emit.call(this, event, chunk, ...rest);
};
const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (chunk, ...rest) {
  if (Buffer.isBuffer(chunk) && chunk.length >= 1024) writes.scan(chunk, now());
  return write.call(this, chunk, ...rest);
};
process.on('exit', () => {
  reads.save();
  writes.save();
});
