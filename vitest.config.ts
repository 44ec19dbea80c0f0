import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The process tests run the compiled CLI, so the build runs once before any test.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Suites start real listeners, SQLite files and PostgreSQL databases; two at a time suits a 2-core machine.
    maxWorkers: 2,
  },
});
