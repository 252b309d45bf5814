-- save-schedule: stores a schedule whole, except that lastRunAt never goes back: the stored value is the larger
-- of the stored one and the given one, so a save racing a claim cannot let an occurrence be claimed twice.
--
-- KEYS[1]  the schedule hash
-- KEYS[2]  the set of schedule names
-- ARGV[1] name, ARGV[2] definition, ARGV[3] paused ('1' or '0'), ARGV[4] nextRunAt or '', ARGV[5] lastRunAt or ''
--
-- Returns 1.
local key = KEYS[1]
local stored = nz(redis.call('HGET', key, 'lastRunAt'))
local given = nz(ARGV[5])
local last = given
if stored and (not given or tonumber(stored) > tonumber(given)) then last = stored end
redis.call('DEL', key)
redis.call('HSET', key, 'name', ARGV[1], 'definition', ARGV[2], 'paused', ARGV[3])
if nz(ARGV[4]) then redis.call('HSET', key, 'nextRunAt', ARGV[4]) end
if last then redis.call('HSET', key, 'lastRunAt', last) end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
