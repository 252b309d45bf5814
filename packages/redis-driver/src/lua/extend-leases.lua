-- extend-leases: renews the leases of processing jobs of one queue that still carry the given token.
--
-- KEYS[1]  the queue's active set
-- ARGV[1] queue, ARGV[2] new leaseExpiresAt, ARGV[3..] pairs of job id, token
--
-- Returns the ids whose lease is lost (other token, not processing, or gone).
local active = KEYS[1]
local q = ARGV[1]
local leaseUntil = ARGV[2]

local lost = {}
for i = 3, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local jk = K_job(q, id)
  local f = redis.call('HMGET', jk, 'state', 'token')
  if f[1] == 'processing' and f[2] == token then
    redis.call('HSET', jk, 'leaseExpiresAt', leaseUntil)
    redis.call('ZADD', active, leaseUntil, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
