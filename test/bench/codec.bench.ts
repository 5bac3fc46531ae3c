/**
 * Codec micro-benchmarks (npm run bench). The sink discards, so these measure encoding and
 * decoding only.
 */
import { bench, describe } from 'vitest';
import { encodeProperties, PropertyTraits, readPropertyTraits } from '../../src/amqp/basic-properties.js';
import { ContentAssembler } from '../../src/amqp/content-assembler.js';
import { FrameReader } from '../../src/amqp/frame-reader.js';
import { FrameWriter, type FrameSink } from '../../src/amqp/frame-writer.js';
import { FrameType } from '../../src/amqp/generated/constants.js';
import { decodeMethod, encodeBasicDeliver, encodeBasicPublish } from '../../src/amqp/generated/methods.js';

const nullSink: FrameSink = { write: () => true, cork() {}, uncork() {} };
const props = encodeProperties({ contentType: 'application/json', deliveryMode: 2, headers: { 'x-trace': 'abc' } });
const body = Buffer.alloc(256, 0x61);
const deliver = { consumerTag: 'amq.ctag-Zx3kQ9yVJf1Xw0mB', deliveryTag: 1, redelivered: false, exchange: 'amq.topic', routingKey: 'orders.eu.created' };

/** A buffer of frames, as a client would send them. */
function captured(fn: (w: FrameWriter) => void): Buffer {
  const chunks: Buffer[] = [];
  const w = new FrameWriter({ write: (c) => chunks.push(c) > 0, cork() {}, uncork() {} });
  fn(w);
  w.flush();
  return Buffer.concat(chunks);
}

const publish = { exchange: 'amq.topic', routingKey: 'orders.eu.created', mandatory: false, immediate: false };
const publishFrame = captured((w) => encodeBasicPublish(w, 1, publish));
const publishPayload = publishFrame.subarray(7, publishFrame.length - 1);

// Up to 64 KiB of whole publish + header + body(256) triples, so every push starts on a frame.
const all = captured((w) => {
  for (let i = 0; i < 200; i++) {
    encodeBasicPublish(w, 1, publish);
    w.writeContent(1, 60, body.length, props, body);
  }
});
const tripleSize = all.length / 200;
const stream = all.subarray(0, Math.floor(65536 / tripleSize) * tripleSize);

describe('encode', () => {
  const w = new FrameWriter(nullSink);
  let tag = 0;
  bench('basic.deliver + content header + 256 B body (flush every 64)', () => {
    encodeBasicDeliver(w, 1, { ...deliver, deliveryTag: ++tag });
    w.writeContent(1, 60, body.length, props, body);
    if ((tag & 63) === 0) w.flush();
  });
});

describe('decode', () => {
  bench('basic.publish method payload', () => {
    decodeMethod(publishPayload, 0, publishPayload.length);
  });

  const traits = new PropertyTraits();
  bench('readPropertyTraits', () => {
    readPropertyTraits(props, traits);
  });

  let frames = 0;
  const reader = new FrameReader({ onFrame: () => void frames++ });
  bench('FrameReader.push over a 64 KiB chunk of small frames (framing only)', () => {
    reader.push(stream);
  });

  // the whole inbound publish path: frames -> method decode -> content assembly
  const assembler = new ContentAssembler();
  const full = new FrameReader({
    onFrame(type, _channel, payload) {
      if (type === FrameType.Method) {
        decodeMethod(payload, 0, payload.length);
        assembler.start(60);
      } else if (type === FrameType.Header) {
        assembler.onHeader(payload);
        readPropertyTraits(assembler.properties, traits);
      } else if (assembler.onBody(payload)) {
        assembler.take();
      }
    },
  });
  bench('FrameReader.push 64 KiB + decodeMethod + ContentAssembler', () => {
    full.push(stream);
  });
});
