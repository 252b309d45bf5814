export type { KeyPart, Middleware, MiddlewareSpec, Next } from './middleware.js';
export { type RateLimitOptions, rateLimited } from './rate-limited.js';
export { skipIf } from './skip-if.js';
export { type ThrottleOptions, throttlesExceptions } from './throttles-exceptions.js';
export { type OverlapOptions, withoutOverlapping } from './without-overlapping.js';
