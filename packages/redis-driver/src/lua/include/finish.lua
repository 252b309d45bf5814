-- finish: finish_job moves a job to completed | failed | cancelled with every follow-up (index move, lease
-- cleared, unique lock released if still owned, job event, then chain and batch through the follow-ups).

local FOLLOW = nil
local function follow()
  if not FOLLOW then FOLLOW = build_follow_ups() end
  return FOLLOW
end

-- now as text, formatted once per script (string.format is one of the dearer calls a finish makes)
local NOW, NOW_TEXT = nil, nil
local function now_text(now)
  if now ~= NOW then NOW, NOW_TEXT = now, num(now) end
  return NOW_TEXT
end

-- meta: { uniqueKey, batchId, chainId, chainIndex } when the caller already read them, else nil.
-- result: the result to store with the finish (completed), or nil to clear it.
finish_job = function(q, id, jk, from, state, now, meta, result)
  leave_state(q, id, jk, from)
  local at = now_text(now)
  if result then
    redis.call('HSET', jk, 'state', state, 'finishedAt', at, 'result', result)
    redis.call('HDEL', jk, 'token', 'workerId', 'leaseExpiresAt')
  else
    redis.call('HSET', jk, 'state', state, 'finishedAt', at)
    redis.call('HDEL', jk, 'token', 'workerId', 'leaseExpiresAt', 'result')
  end
  redis.call('ZADD', K_queue(q, state), at, id)
  local f = meta or redis.call('HMGET', jk, 'uniqueKey', 'batchId', 'chainId', 'chainIndex')
  if f[1] then lock_release(K_unique(f[1]), id) end
  publish({ type = 'job', jobId = id, queue = q, state = state })
  if f[3] then follow().chain_after(f[3], tonumber(f[4]) or 0, state, now) end
  if f[2] then follow().batch_outcome(f[2], id, state, now) end
end

-- Crosses batch thresholds touched by this script (nothing to do when no batch was involved).
local function flush_batches(now)
  if FOLLOW then FOLLOW.batch_flush(now) end
end
