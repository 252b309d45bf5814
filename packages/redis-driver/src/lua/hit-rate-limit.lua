-- hit-rate-limit: counts a hit in the fixed window containing now, unless the limit is reached.
--
-- KEYS[1]  the counter of that window
-- ARGV[1] limit, ARGV[2] window length (ms)
--
-- Returns { allowed 1|0, count }.
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local count = tonumber(redis.call('GET', key) or '0')
if count >= limit then return { 0, count } end
count = redis.call('INCR', key)
-- the counter only needs to outlive its window
if count == 1 then redis.call('PEXPIRE', key, num(tonumber(ARGV[2]) * 2)) end
return { 1, count }
