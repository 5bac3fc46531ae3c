import { MemoryData, MemoryStore } from '../../../src/store/memory-store.js';
import { storageSuite } from './storage-suite.js';

storageSuite('memory', () => {
  const data = new MemoryData();
  return {
    open: () => new MemoryStore(data),
    committedMessage: (id) => data.messages.has(id),
    cleanup: () => {},
  };
});
