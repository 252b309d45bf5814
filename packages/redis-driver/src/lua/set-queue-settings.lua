-- set-queue-settings: stores a queue's settings whole and wakes a waiting worker (a resume or a raised limit
-- may let ready jobs go).
--
-- KEYS[1]  the queue's settings hash
-- ARGV[1] queue, ARGV[2] paused '1'|'0', ARGV[3] concurrency or '', ARGV[4] rate limit or '', ARGV[5] rate window ms or ''
--
-- Returns 1.
local key = KEYS[1]
redis.call('DEL', key)
redis.call('HSET', key, 'paused', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', key, 'concurrency', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', key, 'rateLimit', ARGV[4], 'rateWindow', ARGV[5]) end
mark(ARGV[1])
return 1
