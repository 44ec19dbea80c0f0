import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built into dist/web, which the service serves at /dashboard/; every asset is bundled (no CDN at run time).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Inlined assets would need a looser Content-Security-Policy (data: URLs); the app has none worth inlining.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
