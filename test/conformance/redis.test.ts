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
      // closed first, then purged by a second driver on the same prefix: a closing driver may still write (a
      // wake-up marker popped for a wait that was aborted goes back to its list), and those writes must not
      // outlive the test
      await redis.close();
      const cleaner = new RedisDriver({ url: process.env.REDIS_URL, prefix: redis.keys.prefix, hashTag });
      await cleaner.purge();
      await cleaner.close();
    },
  };
}

describeDriver('redis', redisFactory('queue'));
// every key under one hash tag: the layout for Redis Cluster (see docs/redis-keys.md)
describeDriver('redis (hashTag: prefix)', redisFactory('prefix'));
