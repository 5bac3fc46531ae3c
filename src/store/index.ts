/** The storage layer's public surface: what the broker and tools import. */
export { Store, type StoreOptions } from './store.js';
export { MemoryStore, MemoryData } from './memory-store.js';
export { StoreReader } from './reader.js';
export { StoreError, StoreErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './schema.js';
export type * from './storage.js';
export { Replica, type LogRecord } from './replica.js';
export { NO_POSITION, type ChangeLog, type Durability, type LogPosition, type StoreSnapshot } from './change-log.js';
export { hasRecordRoom } from './log-codec.js';
