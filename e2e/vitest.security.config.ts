import { defineConfig } from 'vitest/config';

/**
 * `npm run test:security`: the trust boundary of a fresh stack on its own NATS and PostgreSQL
 * (authentication, per-user NATS permissions, per-service database roles). Not part of `npm test`.
 */
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['e2e/security/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Each file starts a whole stack; two cores do not run two at once well.
    fileParallelism: false,
    reporters: ['default'],
  },
});
