-- list-workers: drops worker records expired at now (expiresAt <= now), returns the others.
--
-- KEYS[1]  the worker registry (zset of ids by expiresAt)
-- ARGV[1] now
--
-- Returns { { id, info, heartbeatAt, expiresAt }, ... }, soonest to expire first.
local registry = KEYS[1]
local now = ARGV[1]
local expired = redis.call('ZRANGEBYSCORE', registry, '-inf', now)
for _, id in ipairs(expired) do redis.call('DEL', K_worker(id)) end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', registry, '-inf', now) end
local out = {}
for _, id in ipairs(redis.call('ZRANGE', registry, 0, -1)) do
  local f = redis.call('HMGET', K_worker(id), 'id', 'info', 'heartbeatAt', 'expiresAt')
  if f[1] then out[#out + 1] = f end
end
return out
