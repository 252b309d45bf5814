-- reserve: promotes due delayed/retrying jobs of each queue, then takes up to `max` ready jobs in strict
-- queue order, then priority desc, availableAt asc, insertion order (the ready set's order).
--
-- KEYS[4i-3..4i]  ready, delayed, retrying, active of the i-th queue (in the order asked for)
-- ARGV[1] now, ARGV[2] max, ARGV[3] leaseMs, ARGV[4] workerId, ARGV[5] token, ARGV[6..] queue names
--
-- Returns { nextAvailableAt or '', job1 fields (HGETALL), job2 fields, ... }.
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local leaseUntil = num(now + tonumber(ARGV[3]))
local workerId = ARGV[4]
local token = ARGV[5]
local PROMOTE_BATCH = 1000

local out = { '' }
local nextAt = nil
local taken = 0

local function promote(q, ready, z)
  local due = redis.call('ZRANGEBYSCORE', z, '-inf', num(now), 'LIMIT', 0, PROMOTE_BATCH)
  for _, id in ipairs(due) do
    local jk = K_job(q, id)
    local f = redis.call('HMGET', jk, 'priority', 'availableAt', 'seq')
    if f[3] then
      redis.call('HSET', jk, 'state', 'pending')
      redis.call('ZADD', ready, ready_score(f[1], f[2]), ready_member(f[3], id))
    end
  end
  if #due > 0 then redis.call('ZREM', z, unpack(due)) end
end

local function earliest(z)
  local first = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  local at = tonumber(first[2])
  if at and (nextAt == nil or at < nextAt) then nextAt = at end
end

for i = 6, #ARGV do
  local q = ARGV[i]
  local k = (i - 6) * 4
  local ready, delayed, retrying, active = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  promote(q, ready, delayed)
  promote(q, ready, retrying)
  if taken < max then
    local popped = redis.call('ZPOPMIN', ready, max - taken)
    for p = 1, #popped, 2 do
      local id = string.sub(popped[p], 17)
      local jk = K_job(q, id)
      if redis.call('EXISTS', jk) == 1 then
        local f = redis.call('HMGET', jk, 'attempts', 'cancelRequested', 'uniqueKey', 'uniqueUntil')
        -- never HINCRBY a stored field: a corrupt value must not raise halfway through (no rollback)
        local attempts = (tonumber(f[1]) or 0) + 1
        redis.call('HSET', jk, 'state', 'processing', 'attempts', num(attempts), 'startedAt', num(now),
          'workerId', workerId, 'token', token, 'leaseExpiresAt', leaseUntil)
        if f[2] then redis.call('HDEL', jk, 'cancelRequested') end
        redis.call('ZADD', active, leaseUntil, id)
        if f[3] and f[4] == 'started' then lock_release(K_unique(f[3]), id) end
        out[#out + 1] = redis.call('HGETALL', jk)
        taken = taken + 1
      end
    end
  end
  -- more work than this call took: wake another waiting worker
  if redis.call('ZCARD', ready) > 0 then mark(q) end
  earliest(delayed)
  earliest(retrying)
end

if nextAt then out[1] = num(nextAt) end
return out
