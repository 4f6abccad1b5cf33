// Builds the renderer into dist/renderer/, where Electron loads it from disk and
// the browser shell serves it. tsc also compiles renderer/src into
// dist/renderer/src for the unit tests, so the build must not empty the folder;
// fixed asset names keep rebuilds from piling up stale hashed files.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const rendererDir = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: rendererDir,
  // Relative URLs, so that the same build works from file:// in Electron.
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: false,
    target: 'chrome120',
    // Loaded from disk or loopback, never over a network: one bundle is fine.
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name].js',
        chunkFileNames: 'assets/[name].js',
        assetFileNames: 'assets/[name][extname]',
      },
    },
  },
});
