import { defineConfig } from 'vitest/config';

/**
 * The compose checks (e2e/compose/*.test.ts), run by e2e/compose/run.sh one file at a time
 * against the topology it has just started. Not part of `npm test`.
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['e2e/compose/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
