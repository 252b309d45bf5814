-- set-progress: stores progress of a processing job, fenced by its lease token, and publishes it.
--
-- KEYS[1]  the job hash
-- ARGV[1] job id, ARGV[2] token, ARGV[3] progress (opaque string), ARGV[4] the job's queue
--
-- Returns 1 when stored, 0 when the lease is not held.
local jk = KEYS[1]
local f = redis.call('HMGET', jk, 'state', 'token')
if f[1] ~= 'processing' or f[2] ~= ARGV[2] then return 0 end
redis.call('HSET', jk, 'progress', ARGV[3])
publish({ type = 'progress', jobId = ARGV[1], queue = ARGV[4], progress = ARGV[3] })
return 1
