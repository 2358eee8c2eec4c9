import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'e2e/test/**/*.test.ts', 'widgets/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll waits on browser round trips (widget → bridge → host → Node and back) and on
    // services; vitest's 1 s default is short for them on a loaded 2-core CI machine.
    expect: { poll: { timeout: 5_000 } },
    pool: 'forks',
    globalSetup: ['packages/kit/test/global-setup.ts'],
    reporters: ['default'],
  },
});
