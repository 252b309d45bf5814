-- settle: fenced settles of processing jobs of one queue, each with every follow-up of a finishing outcome.
-- include: jobs
-- Items are applied one after another; each is fenced on its own and reports the thresholds it crossed.
--
-- KEYS[i]  the hash of the i-th job
-- ARGV[1] now, ARGV[2] the queue, then 5 fields per item: job id, token, outcome type, a, b
--   completed: a = '1' when a result follows, b = result
--   retry:     a = availableAt, b = error record JSON
--   failed:    b = error record JSON
--   released:  a = availableAt
--   cancelled: (none)
--
-- Returns one reply per item: { 0 } when the lease is stale (not processing, other token, or no job);
--         { 1, state, batch view or false } otherwise (batch view: see batch_view in follow-ups.lua).
local now = tonumber(ARGV[1])
local q = ARGV[2]

local function add_error(jk, record)
  local errors = redis.call('HGET', jk, 'errors')
  if errors and #errors > 2 then errors = string.sub(errors, 1, -2) .. ',' .. record .. ']'
  else errors = '[' .. record .. ']' end
  redis.call('HSET', jk, 'errors', errors)
end

-- The job ids of this call (outcome records are read for all of them with their batch), up to 1,000 of them.
local CALL_IDS = nil
local function call_ids()
  if CALL_IDS == nil then
    CALL_IDS = false
    if #KEYS <= 1000 then
      CALL_IDS = {}
      for i = 1, #KEYS do CALL_IDS[i] = ARGV[3 + (i - 1) * 5] end
    end
  end
  return CALL_IDS or nil
end

local KEPT = false   -- the follow-ups keep batches and defer batch events (asked once per call)

local function settle_one(jk, id, token, kind, a, b)
  local f = redis.call('HMGET', jk, 'state', 'token', 'uniqueKey', 'batchId', 'chainId', 'chainIndex')
  if f[1] ~= 'processing' or f[2] ~= token then return { 0 } end
  local meta = { f[3], f[4], f[5], f[6] }
  local bid = nz(f[4])
  -- only follow-ups write batches in this script: each is read once, for all its members here; their events
  -- go out once per batch at the end of the call
  if bid and not KEPT then
    KEPT = true
    follow().keep_batches(call_ids())
    FOLLOW.defer_events()
  end
  local state
  if kind == 'completed' then
    state = 'completed'
    finish_job(q, id, jk, 'processing', state, now, meta, a == '1' and b or nil)
  elseif kind == 'failed' then
    add_error(jk, b)
    state = 'failed'
    finish_job(q, id, jk, 'processing', state, now, meta)
  elseif kind == 'cancelled' then
    state = 'cancelled'
    finish_job(q, id, jk, 'processing', state, now, meta)
  elseif kind == 'retry' or kind == 'released' then
    if kind == 'retry' then
      add_error(jk, b)
    else
      local attempts = (tonumber(redis.call('HGET', jk, 'attempts')) or 1) - 1
      redis.call('HSET', jk, 'attempts', num(math.max(attempts, 0)))
    end
    redis.call('ZREM', K_queue(q, 'active'), id)
    redis.call('HDEL', jk, 'token', 'workerId', 'leaseExpiresAt')
    state = to_waiting(q, id, jk, tonumber(a), now, kind == 'retry' and 'retrying' or 'delayed')
    if kind == 'retry' then publish({ type = 'job', jobId = id, queue = q, state = state }) end
  else
    return { 0 }
  end
  flush_batches(now)
  local view = false
  if bid then
    view = FOLLOW.batch_view(bid)
    FOLLOW.reset()
  end
  return { 1, state, view }
end

local out = {}
local freed = false
-- kept batches write what they gathered at the end, even when an item raises (nothing is rolled back)
local done, err = pcall(function()
  for i = 1, #KEYS do
    local a = 3 + (i - 1) * 5
    out[i] = settle_one(KEYS[i], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4])
    if out[i][1] == 1 then freed = true end
  end
end)
if FOLLOW then FOLLOW.commit() end
if not done then error(err, 0) end
if FOLLOW then FOLLOW.publish_events() end
-- a queue with a shared concurrency cap just freed slots: wake a worker if jobs wait for them
if freed and redis.call('HEXISTS', K_queue(q, 'settings'), 'concurrency') == 1
    and redis.call('ZCARD', K_queue(q, 'ready')) > 0 then
  mark(q)
end
return out
