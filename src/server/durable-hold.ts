/**
 * Replies that follow a definition change wait until the change is durable everywhere it must be
 * (CLUSTER.md 6.4: a cluster leader sends declare-ok, bind-ok, delete-ok, purge-ok only after every
 * in-sync follower has the record on disk). Around each input chunk the connection notes the
 * store's definition seq; if the chunk changed definitions, the connection's output (and its
 * input, to keep replies in order) is held until the store's log says the change is durable.
 * Without a replicated store this is one null test per chunk.
 */
import type { Durability } from '../store/index.js';
import { ReadPause, type ReadGate } from './read-gate.js';

export class DurableHold {
  /** output waits: flush() writes nothing while set */
  held = false;
  private before = 0;

  constructor(
    private readonly durability: Durability | null,
    private readonly gate: ReadGate,
    private readonly flush: () => void,
  ) {}

  /** Before handling input. */
  mark(): void {
    if (this.durability !== null) this.before = this.durability.definitionSeq;
  }

  /** After handling input: hold if it changed definitions. */
  check(): void {
    const d = this.durability;
    if (d === null || d.definitionSeq === this.before || this.held) return;
    this.held = true;
    this.gate.pause(ReadPause.Durable);
    d.whenDurable(() => {
      this.held = false;
      this.gate.resume(ReadPause.Durable);
      this.flush();
    });
  }
}
