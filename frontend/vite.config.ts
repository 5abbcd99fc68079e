import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { bundleGraph } from './bundle-graph';

// Directory of this config file; every path below is resolved from it so the
// build does not depend on the current working directory.
const root = fileURLToPath(new URL('.', import.meta.url));

// The InvokeAI Python package serves the built UI from this folder.
const outDir = fileURLToPath(new URL('../python/invokeai/frontend/web/dist', import.meta.url));

// Where `npm run dev` forwards API calls: a locally running InvokeAI server.
const apiTarget = 'http://127.0.0.1:9090';

export default defineConfig({
  root,
  base: '/',
  plugins: [bundleGraph(root)],
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: true },
    },
  },
  preview: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: true },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
