import { connect } from 'node:net';
import { defineConfig } from 'vitest/config';

/** Test files that need a Redis server (they talk to a real one, never a mock). */
const REDIS_SUITES = ['packages/redis-driver/test/**', 'test/conformance/redis*.test.ts', 'test/e2e/**'];

/** True when something accepts TCP connections at REDIS_URL (default 127.0.0.1:6379). */
function redisAnswers(): Promise<boolean> {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export default defineConfig(async () => {
  // Without Redis on a developer machine, the Redis suites are left out, loudly. CI sets
  // CONVEYOR_REQUIRE_REDIS=1 (.ci/run starts Redis first), so there they always run and fail without it.
  const leaveOutRedis = !process.env.CONVEYOR_REQUIRE_REDIS && !(await redisAnswers());
  if (leaveOutRedis) {
    process.env.CONVEYOR_REDIS_ABSENT = '1';
    console.warn(
      `\n!! No Redis answers at ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'}: the Redis suites ` +
        `(${REDIS_SUITES.join(', ')}) and the Redis example are NOT run.\n` +
        '!! Start one (redis-server) or set REDIS_URL to run them; CI always runs them.\n',
    );
  }
  return {
    resolve: { conditions: ['@conveyor/source'] },
    ssr: { resolve: { conditions: ['@conveyor/source'] } },
    test: {
      include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
      exclude: ['**/node_modules/**', ...(leaveOutRedis ? REDIS_SUITES : [])],
      testTimeout: 20_000,
      hookTimeout: 20_000,
      pool: 'forks',
      // CI also writes a JSON report, from which .ci/run prints the plain 'N passed, N failed' line.
      ...(process.env.CONVEYOR_TEST_REPORT
        ? { reporters: ['default', 'json'], outputFile: { json: process.env.CONVEYOR_TEST_REPORT } }
        : {}),
    },
  };
});
