import { randomUUID } from 'node:crypto';
import type { Driver } from '@conveyor/core/driver';
import { RedisDriver } from '@conveyor/redis-driver';
import { describeDriver } from './describe-driver.js';

/** The Redis driver against the whole contract: a real server, a fresh random prefix per test, keys deleted after. */
describeDriver('redis', {
  create: () => new RedisDriver({ url: process.env.REDIS_URL, prefix: `conformance-${randomUUID()}` }),
  destroy: async (driver: Driver) => {
    const redis = driver as RedisDriver;
    await redis.purge();
    await redis.close();
  },
});
