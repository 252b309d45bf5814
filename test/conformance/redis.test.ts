import { randomUUID } from 'node:crypto';
import type { Driver } from '@conveyor/core/driver';
import { type HashTagMode, RedisDriver } from '@conveyor/redis-driver';
import { describeDriver } from './describe-driver.js';

/** The Redis driver against the whole contract: a real server, a fresh random prefix per test, keys deleted after. */
function redisFactory(hashTag: HashTagMode) {
  return {
    create: () =>
      new RedisDriver({ url: process.env.REDIS_URL, prefix: `conformance-${randomUUID()}`, hashTag }),
    destroy: async (driver: Driver) => {
      const redis = driver as RedisDriver;
      await redis.purge();
      await redis.close();
    },
  };
}

describeDriver('redis', redisFactory('queue'));
// every key under one hash tag: the layout for Redis Cluster (see docs/redis-keys.md)
describeDriver('redis (hashTag: prefix)', redisFactory('prefix'));
