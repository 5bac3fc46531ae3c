// Builds the web UI (src/ui/app, Preact + Chart.js) into dist/ui, which the management listener
// serves at `/` (src/http/ui-static.ts). Part of `npm run build`; no network, no CDN.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  logLevel: 'warn',
  // Preact's automatic JSX runtime (TSX compiled by Vite's built-in transform; no plugin needed).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../../dist/ui'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 400,
  },
});
