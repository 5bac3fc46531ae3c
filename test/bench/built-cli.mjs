import { join } from 'node:path';

/** The built broker the benchmarks run: the bundle `npm start` runs (test/helpers/built-cli.ts). */
export const BUILT_CLI = join(import.meta.dirname, '../../dist/bundle/index.js');
