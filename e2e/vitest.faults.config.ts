import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: kill -9 / restart of every service, NATS and PostgreSQL during concurrent
 * checkouts, on the fault run's own infrastructure. Not part of the default `npm test`.
 */
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/faults/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
