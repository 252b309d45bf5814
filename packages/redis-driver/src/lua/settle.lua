-- settle: one fenced settle of a processing job, with every follow-up of a finishing outcome in the same step.
-- include: jobs
--
-- KEYS[1]  the job hash
-- ARGV[1] job id, ARGV[2] token, ARGV[3] now, ARGV[4] outcome type
--   completed: ARGV[5] '1' when a result follows, ARGV[6] result
--   retry:     ARGV[5] availableAt, ARGV[6] error record JSON
--   failed:    ARGV[6] error record JSON
--   released:  ARGV[5] availableAt
--
-- Returns { 0 } when the lease is stale (not processing, other token, or no job);
--         { 1, state, batch view or false } otherwise (batch view: see batch_view).
local jk = KEYS[1]
local id = ARGV[1]
local token = ARGV[2]
local now = tonumber(ARGV[3])
local kind = ARGV[4]

local f = redis.call('HMGET', jk, 'state', 'token', 'queue', 'uniqueKey', 'batchId', 'chainId', 'chainIndex')
if f[1] ~= 'processing' or f[2] ~= token then return { 0 } end
local q = f[3]
local meta = { f[4], f[5], f[6], f[7] }

local function add_error(record)
  local errors = redis.call('HGET', jk, 'errors')
  if errors and #errors > 2 then errors = string.sub(errors, 1, -2) .. ',' .. record .. ']'
  else errors = '[' .. record .. ']' end
  redis.call('HSET', jk, 'errors', errors)
end

local function leave_active()
  redis.call('ZREM', K_queue(q, 'active'), id)
  redis.call('HDEL', jk, 'token', 'workerId', 'leaseExpiresAt')
end

local state
if kind == 'completed' then
  state = 'completed'
  finish_job(q, id, jk, 'processing', state, now, meta, ARGV[5] == '1' and ARGV[6] or nil)
elseif kind == 'failed' then
  add_error(ARGV[6])
  state = 'failed'
  finish_job(q, id, jk, 'processing', state, now, meta)
elseif kind == 'cancelled' then
  state = 'cancelled'
  finish_job(q, id, jk, 'processing', state, now, meta)
elseif kind == 'retry' then
  add_error(ARGV[6])
  leave_active()
  state = to_waiting(q, id, jk, tonumber(ARGV[5]), now, 'retrying')
  publish({ type = 'job', jobId = id, queue = q, state = state })
elseif kind == 'released' then
  local attempts = (tonumber(redis.call('HGET', jk, 'attempts')) or 1) - 1
  redis.call('HSET', jk, 'attempts', num(math.max(attempts, 0)))
  leave_active()
  state = to_waiting(q, id, jk, tonumber(ARGV[5]), now, 'delayed')
else
  return redis.error_reply('ERR conveyor: unknown settle outcome ' .. tostring(kind))
end

flush_batches(now)
local bid = nz(f[5])
return { 1, state, bid and follow().batch_view(bid) or false }
