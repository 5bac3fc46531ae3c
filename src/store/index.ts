/** The storage layer's public surface: what the broker and tools import. */
export { Store, type StoreOptions } from './store.js';
export { MemoryStore, MemoryData } from './memory-store.js';
export { StoreReader } from './reader.js';
export { StoreError, StoreErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './schema.js';
export type * from './storage.js';
