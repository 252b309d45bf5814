-- cancel: a waiting job (pending, delayed, retrying) becomes cancelled with every follow-up of a cancelled
-- include: jobs
-- settle; a processing job gets cancelRequested and a `cancel` event; a finished job is left unchanged.
--
-- KEYS[1]  the job hash
-- ARGV[1] job id, ARGV[2] now, ARGV[3] the job's queue
--
-- Returns { state after the call, batch view or false }, or { false } when the job does not exist.
local jk = KEYS[1]
local id = ARGV[1]
local now = tonumber(ARGV[2])

local q = ARGV[3]
local f = redis.call('HMGET', jk, 'state', 'batchId')
local state = f[1]
if not state then return { false } end

if state == 'pending' or state == 'delayed' or state == 'retrying' then
  finish_job(q, id, jk, state, 'cancelled', now)
  state = 'cancelled'
elseif state == 'processing' then
  redis.call('HSET', jk, 'cancelRequested', '1')
  publish({ type = 'cancel', jobId = id, queue = q })
  return { state, false }
end

flush_batches(now)
local bid = nz(f[2])
local view = false
if bid and FOLLOW and FOLLOW.crossed(bid) then view = FOLLOW.batch_view(bid) end
return { state, view }
