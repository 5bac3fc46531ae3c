import { join } from 'node:path';

/**
 * The built broker: the esbuild bundle of dist/cli that `npm start` and the `warren` bin run
 * (`npm run build`, which `npm test` runs first). Every test that spawns a broker or `warren ctl`
 * runs this file, so the artefact we ship is the one under test.
 */
export const BUILT_CLI = join(import.meta.dirname, '../../dist/bundle/index.js');
