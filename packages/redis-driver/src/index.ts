export { DEFAULT_REDIS_OPTIONS } from './connections.js';
export { RedisDriverError, type RedisDriverErrorCode } from './errors.js';
export { type HashTagMode, Keys, QUEUE_KEY, type QueueKeyKind } from './keys.js';
export { RedisDriver, type RedisDriverOptions } from './redis-driver.js';
