import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the gateway (same origin as /v1), so there is no proxy config for production; `vite dev`
// forwards the API to a running local stack.
export default defineConfig({
  plugins: [react()],
  // No source maps in the production build: they would publish the source of the console (docs/security.md).
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/v1': { target: process.env.ONEVOTE_URL ?? 'http://127.0.0.1:8080', changeOrigin: false },
      '/.well-known': { target: process.env.ONEVOTE_URL ?? 'http://127.0.0.1:8080' },
    },
  },
});
