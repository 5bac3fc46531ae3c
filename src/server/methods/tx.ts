import { preconditionFailed } from '../../amqp/errors.js';
import { encodeTxCommitOk, encodeTxRollbackOk, encodeTxSelectOk, MethodId, type Method } from '../../amqp/generated/methods.js';
import type { Channel } from '../channel.js';

/** tx.*: publishes and acks of a transactional channel take effect at commit. */
export function handleTx(ch: Channel, m: Method): void {
  const w = ch.conn.writer;
  switch (m.id) {
    case MethodId.TxSelect:
      if (ch.publisher.confirm) throw preconditionFailed('cannot switch from confirm to tx mode');
      ch.publisher.tx = true;
      encodeTxSelectOk(w, ch.number, {});
      return;
    case MethodId.TxCommit: {
      if (!ch.publisher.tx) throw preconditionFailed('channel is not transactional');
      ch.publisher.commit();
      const settles = ch.txSettles;
      ch.txSettles = [];
      for (const s of settles) ch.deliveries.settle(s.list, s.how, s.verb);
      const messages = ch.vhost.persistence?.messages;
      if (messages === undefined || !ch.publisher.stored) {
        encodeTxCommitOk(w, ch.number, {});
        return;
      }
      // commit-ok only once the stored publishes are committed to disk.
      ch.publisher.clearStored();
      messages.commitSoon(() => {
        if (ch.state !== 'open') return;
        encodeTxCommitOk(w, ch.number, {});
        ch.conn.scheduleFlush();
      });
      return;
    }
    case MethodId.TxRollback: {
      if (!ch.publisher.tx) throw preconditionFailed('channel is not transactional');
      ch.publisher.rollback();
      for (const s of ch.txSettles) for (const u of s.list) u.pendingTx = false;
      ch.txSettles = [];
      encodeTxRollbackOk(w, ch.number, {});
      return;
    }
  }
}
