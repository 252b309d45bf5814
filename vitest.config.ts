import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@conveyor/source'] },
  ssr: { resolve: { conditions: ['@conveyor/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // CI also writes a JSON report, from which .ci/run prints the plain 'N passed, N failed' line.
    ...(process.env.CONVEYOR_TEST_REPORT
      ? { reporters: ['default', 'json'], outputFile: { json: process.env.CONVEYOR_TEST_REPORT } }
      : {}),
  },
});
