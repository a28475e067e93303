// Build and dev server of the web app. `npm run build` writes dist/ (index.html and hashed
// assets under /assets/) that `qwenlayer serve` serves at /. `npm run dev` serves the sources
// with the API routes proxied to a running server (QWL_URL, default http://127.0.0.1:8080);
// the proxy keeps the browser's Host header, so the server's same-origin check on cookie writes
// sees the dev server's origin on both sides and passes.

import { defineConfig } from 'vitest/config';

const target = process.env.QWL_URL ?? 'http://127.0.0.1:8080';
const proxied = { target, changeOrigin: false, ws: false };

export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    target: 'es2020',
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': proxied, '/v1': proxied, '/health': proxied },
  },
  preview: {
    host: '127.0.0.1',
    proxy: { '/api': proxied, '/v1': proxied, '/health': proxied },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
