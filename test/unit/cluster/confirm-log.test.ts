/**
 * The confirm log of `cluster.confirmLog` (CLUSTER.md 7.4): one JSON line per basic.ack with the
 * epoch, CLOCK_MONOTONIC nanoseconds and the count, appended (a restarted node adds to its file).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfirmLog } from '../../../src/cluster/confirm-log.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('ConfirmLog', () => {
  it('appends {"epoch","ns","n"} per confirm, in monotonic order, across reopenings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warren-confirm-log-'));
    dirs.push(dir);
    const file = join(dir, 'confirms.log');
    const before = process.hrtime.bigint();
    const first = new ConfirmLog(file);
    const hook = first.hook(7);
    hook(1);
    hook(25);
    first.close();
    hook(3); // after close: nothing
    const second = new ConfirmLog(file);
    second.hook(9)(2);
    second.close();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { epoch: number; ns: string; n: number });
    expect(lines.map((l) => [l.epoch, l.n])).toEqual([[7, 1], [7, 25], [9, 2]]);
    const ns = lines.map((l) => BigInt(l.ns));
    expect(ns[0]! > before).toBe(true);
    expect(ns[0]! <= ns[1]! && ns[1]! <= ns[2]!).toBe(true);
  });
});
