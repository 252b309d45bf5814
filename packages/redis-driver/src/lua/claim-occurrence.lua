-- claim-occurrence: claims occurrence `at` of a schedule for exactly one caller: the schedule must exist,
-- not be paused, and `at` must be later than the last occurrence claimed.
--
-- KEYS[1]  the schedule hash
-- ARGV[1] at, ARGV[2] nextRunAt or ''
--
-- Returns 1 when claimed, else 0.
local key = KEYS[1]
local at = tonumber(ARGV[1])
local f = redis.call('HMGET', key, 'name', 'paused', 'lastRunAt')
if not f[1] or f[2] == '1' then return 0 end
if nz(f[3]) and at <= tonumber(f[3]) then return 0 end
redis.call('HSET', key, 'lastRunAt', ARGV[1])
if ARGV[2] == '' then redis.call('HDEL', key, 'nextRunAt') else redis.call('HSET', key, 'nextRunAt', ARGV[2]) end
return 1
