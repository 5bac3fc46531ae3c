/**
 * Warren's embedding API: start a real broker inside a Node process (tests, tools).
 *
 *   const broker = await startBroker({ port: 0 });
 *   // broker.url === 'amqp://guest:guest@127.0.0.1:PORT'
 *   await broker.close();
 */
export { startBroker } from './main.js';
export type { BrokerOptions, RunningBroker, TlsOptions } from './main.js';
