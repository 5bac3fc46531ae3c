// A separate process that floods a queue as fast as TCP takes it (pre-encoded 1 KB publishes, the
// bench's frames) while consuming it with auto-ack on a second connection, for `seconds`. Run apart
// from the broker's event loop, so the test measures how the broker shares its loop.
//
// usage: node raw-flood-client.mjs <port> <queue> <seconds>
import { connect } from '../bench/e2e/client.mjs';
import { publishBatch } from '../bench/e2e/frames.mjs';

const [portArg, queue, secondsArg] = process.argv.slice(2);
const port = Number(portArg);
const end = Date.now() + Number(secondsArg) * 1000;

const consumer = await connect(port);
await consumer.openChannel(1);
await consumer.consume(1, queue, { noAck: true });
const publisher = await connect(port);
await publisher.openChannel(1);
const batch = publishBatch(1, { routingKey: queue, size: 1024 }, 64);

function pump() {
  while (Date.now() < end) {
    if (!publisher.socket.write(batch)) {
      publisher.socket.once('drain', pump);
      return;
    }
  }
  process.stdout.write('done\n');
  process.exit(0);
}
pump();
