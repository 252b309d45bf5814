-- clean: retention. Removes finished jobs of one queue and state, oldest first: those finished before
-- `finishedBefore` and those beyond the `keep` newest, at most `limit` per call.
--
-- KEYS[1]  the finished set of that state (score finishedAt); KEYS[2] the queue's jobs index
-- ARGV[1] queue, ARGV[2] finishedBefore, ARGV[3] keep, ARGV[4] limit
--
-- Returns how many were removed.
local set, jobs = KEYS[1], KEYS[2]
local q = ARGV[1]
local old = redis.call('ZCOUNT', set, '-inf', '(' .. ARGV[2])
local excess = redis.call('ZCARD', set) - tonumber(ARGV[3])
local n = math.max(old, excess, 0)
n = math.min(n, tonumber(ARGV[4]))
if n <= 0 then return 0 end
local ids = redis.call('ZRANGE', set, 0, n - 1)
for _, id in ipairs(ids) do
  local jk = K_job(q, id)
  local seq = redis.call('HGET', jk, 'seq')
  redis.call('DEL', jk)
  if seq then redis.call('ZREM', jobs, ready_member(seq, id)) end
end
redis.call('ZREMRANGEBYRANK', set, 0, n - 1)
return #ids
