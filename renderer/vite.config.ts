/**
 * Standalone renderer build: `vite build -c renderer/vite.config.ts` → out/renderer, which
 * `tenant-mirror serve` serves (electron-vite builds the same sources for the desktop window).
 */
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset URLs: the same build loads from file:// in Electron and from the serve host.
  base: './',
  plugins: [svelte()],
  build: { outDir: '../out/renderer', emptyOutDir: true, target: 'es2024' },
  server: { host: '127.0.0.1' },
});
