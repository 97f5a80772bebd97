/**
 * electron-vite build of the desktop app (`npm run build` → out/). Explicit entries:
 *   main     main/index.ts (composition root) + main/host/engine-child.ts (the utilityProcess entry) + main/engine/source/fetch-thread-worker.ts (the CDC fetch thread) → out/main/*.js (ESM)
 *   preload  preload/index.ts → out/preload/index.cjs (CJS: a sandboxed preload cannot be ESM)
 *   renderer renderer/index.html (Svelte 5) → out/renderer (relative asset URLs: file:// and the serve host)
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const at = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: at('./out/main'),
      target: 'node24',
      // electron-store is ESM-only and main is ESM, so dependencies stay external (loaded from node_modules in the asar).
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: at('./main/index.ts'), 'engine-child': at('./main/host/engine-child.ts'), 'fetch-thread-worker': at('./main/engine/source/fetch-thread-worker.ts') },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: at('./out/preload'),
      // The preload only needs `electron` and the pure contract (zod is bundled in: no require of node_modules in a sandbox).
      externalizeDeps: false,
      isolatedEntries: true,
      rolldownOptions: {
        input: { index: at('./preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: at('./renderer'),
    base: './',
    plugins: [svelte()],
    build: {
      outDir: at('./out/renderer'),
      target: 'es2024',
      rolldownOptions: { input: { index: at('./renderer/index.html') } },
    },
  },
});
