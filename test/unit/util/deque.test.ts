import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Deque } from '../../../src/util/deque.js';
import { MinHeap } from '../../../src/util/min-heap.js';

describe('Deque', () => {
  it('behaves like an array under random push/shift/unshift/pop (model test)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), v: fc.integer() }),
      fc.record({ kind: fc.constant('unshift' as const), v: fc.integer() }),
      fc.record({ kind: fc.constant('shift' as const) }),
      fc.record({ kind: fc.constant('pop' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const d = new Deque<number>(2);
        const model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            d.push(o.v);
            model.push(o.v);
          } else if (o.kind === 'unshift') {
            d.unshift(o.v);
            model.unshift(o.v);
          } else if (o.kind === 'shift') {
            expect(d.shift()).toBe(model.shift());
          } else {
            expect(d.pop()).toBe(model.pop());
          }
          expect(d.length).toBe(model.length);
          expect(d.peek()).toBe(model[0]);
          expect(d.peekLast()).toBe(model[model.length - 1]);
        }
        expect([...d]).toEqual(model);
        model.forEach((v, i) => expect(d.at(i)).toBe(v));
      }),
    );
  });

  it('clear empties it and it can be reused', () => {
    const d = new Deque<string>();
    for (let i = 0; i < 100; i++) d.push(String(i));
    d.clear();
    expect(d.length).toBe(0);
    expect(d.shift()).toBeUndefined();
    d.push('a');
    expect([...d]).toEqual(['a']);
  });
});

describe('MinHeap', () => {
  it('pops in key order (model test)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), (values) => {
        const h = new MinHeap<number>((v) => v);
        for (const v of values) h.push(v);
        const out: number[] = [];
        while (h.length > 0) out.push(h.pop() as number);
        expect(out).toEqual([...values].sort((a, b) => a - b));
      }),
    );
  });
});
