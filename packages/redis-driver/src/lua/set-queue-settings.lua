-- set-queue-settings: patches a queue's settings in place and wakes a waiting worker (a resume or a raised
-- limit may let ready jobs go). Only the fields given change, so two processes patching different fields of
-- one queue at once both keep their change.
--
-- KEYS[1]  the queue's settings hash (fields paused, concurrency, rateLimit + rateWindow; `paused` is always
--          written, so the hash exists once settings were ever stored)
-- ARGV[1] queue
-- ARGV[2] paused: '1' | '0' | '' (keep)
-- ARGV[3] concurrency: a number | 'null' (remove the cap) | '' (keep)
-- ARGV[4] rate limit: a number | 'null' (remove the limit) | '' (keep); ARGV[5] its window ms when a number
--
-- Returns the settings now stored: { paused, concurrency, rateLimit, rateWindow } (false for a missing field).
local key = KEYS[1]
if ARGV[2] ~= '' then
  redis.call('HSET', key, 'paused', ARGV[2])
elseif redis.call('HEXISTS', key, 'paused') == 0 then
  redis.call('HSET', key, 'paused', '0')
end
if ARGV[3] == 'null' then
  redis.call('HDEL', key, 'concurrency')
elseif ARGV[3] ~= '' then
  redis.call('HSET', key, 'concurrency', ARGV[3])
end
if ARGV[4] == 'null' then
  redis.call('HDEL', key, 'rateLimit', 'rateWindow')
elseif ARGV[4] ~= '' then
  redis.call('HSET', key, 'rateLimit', ARGV[4], 'rateWindow', ARGV[5])
end
mark(ARGV[1])
return redis.call('HMGET', key, 'paused', 'concurrency', 'rateLimit', 'rateWindow')
