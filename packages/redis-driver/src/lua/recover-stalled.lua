-- recover-stalled: takes processing jobs whose lease expired before now and hands them over under a fresh
-- lease, which fences out the old holder. Does not count an attempt; core settles each as a failure.
--
-- KEYS[i]  the active set of the i-th queue
-- ARGV[1] now, ARGV[2] leaseMs, ARGV[3] token, ARGV[4] max, ARGV[5..] queue names (same order as KEYS)
--
-- Returns { job1 fields (job_hash in base.lua), job2 fields, ... }.
local now = tonumber(ARGV[1])
local leaseUntil = num(now + tonumber(ARGV[2]))
local token = ARGV[3]
local max = tonumber(ARGV[4])

local out = {}
for i = 5, #ARGV do
  if #out >= max then break end
  local q = ARGV[i]
  local active = KEYS[i - 4]
  local expired = redis.call('ZRANGEBYSCORE', active, '-inf', '(' .. num(now), 'LIMIT', 0, max - #out)
  for _, id in ipairs(expired) do
    local jk = K_job(q, id)
    if redis.call('HGET', jk, 'state') == 'processing' then
      redis.call('HSET', jk, 'token', token, 'leaseExpiresAt', leaseUntil)
      redis.call('ZADD', active, leaseUntil, id)
      out[#out + 1] = job_hash(jk, id, q)
    else
      redis.call('ZREM', active, id)
    end
  end
end
return out
