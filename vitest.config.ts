import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@conveyor/source'] },
  ssr: { resolve: { conditions: ['@conveyor/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
