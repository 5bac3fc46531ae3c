/**
 * A cluster leader answers a management request that changed definitions (a declare, a policy, a
 * user...) only once the change is on every in-sync follower's disk (CLUSTER.md 6.4), as its AMQP
 * replies do (src/server/durable-hold.ts). Without a replicated store nothing is installed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Durability } from '../store/index.js';

export function installDurableReplies(app: FastifyInstance, durability: Durability | null): void {
  if (durability === null) return;
  const seqAtStart = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', (req, _reply, done) => {
    seqAtStart.set(req, durability.definitionSeq);
    done();
  });
  app.addHook('onSend', (req, _reply, payload, done) => {
    if (durability.definitionSeq === seqAtStart.get(req)) return done(null, payload);
    durability.whenDurable(() => done(null, payload));
  });
}
