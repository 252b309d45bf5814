-- retry-failed: moves failed jobs of one queue back to pending with attempts reset, ready at now.
-- The batch outcome stays `failed` until the job completes (which then moves it to processed).
--
-- KEYS[1]  the queue's failed set
-- ARGV[1] queue, ARGV[2] now, ARGV[3] mode: 'ids' (ARGV[4..] are job ids) | 'all' (ARGV[4] = at most how many)
--
-- Returns { how many ids were looked at, moved id1, moved id2, ... }. In 'all' mode an id in the failed set
-- whose job is not failed (or gone) is dropped from the set, so a caller looping until fewer than asked are
-- looked at always gets through.
local failedSet = KEYS[1]
local q = ARGV[1]
local now = tonumber(ARGV[2])

local ids
if ARGV[3] == 'all' then
  ids = redis.call('ZRANGE', failedSet, 0, tonumber(ARGV[4]) - 1)
else
  ids = {}
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
end

local moved = { #ids }
for _, id in ipairs(ids) do
  local jk = K_job(q, id)
  local f = redis.call('HMGET', jk, 'state', 'priority', 'seq', 'batchId')
  if f[1] ~= 'failed' and ARGV[3] == 'all' then
    redis.call('ZREM', failedSet, id)
  elseif f[1] == 'failed' then
    redis.call('ZREM', failedSet, id)
    redis.call('HSET', jk, 'state', 'pending', 'attempts', '0', 'availableAt', num(now))
    redis.call('HDEL', jk, 'finishedAt')
    redis.call('ZADD', K_queue(q, 'ready'), ready_score(f[2], now), ready_member(f[3], id))
    if f[4] then redis.call('HSET', K_batch_members(f[4]), id, q) end
    moved[#moved + 1] = id
  end
end
if #moved > 1 then mark(q) end
return moved
