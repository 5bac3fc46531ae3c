import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreReader } from '../../../src/store/reader.js';
import { Store } from '../../../src/store/store.js';
import { storageSuite } from './storage-suite.js';

storageSuite('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-store-'));
  return {
    open: () => Store.open(dir),
    // a second, read-only connection: sees only what was committed to the file
    committedMessage: (id) => {
      const reader = StoreReader.open(dir);
      try {
        return reader.messageRefs(id) !== undefined;
      } finally {
        reader.close();
      }
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
});
