-- follow-ups: what a finishing job does to its chain and its batch, built on first use (build_follow_ups) so
-- that settling a plain job does not pay for creating these functions.
--   chain_after      advance the chain (enqueue the next link) or stop it (links stored cancelled, catch jobs)
--   batch_outcome    record a member's final outcome once; without allowFailures a failure cancels the batch
--   batch_cancel     every waiting member becomes cancelled
--   batch_flush      cross then/catch/finally once for every batch this script touched, enqueuing callbacks
--   batch_view       the batch as returned to the client

local finish_job -- defined in finish.lua; follow-ups call it and it calls them

local function build_follow_ups()
  local TOUCHED = {} -- batch id -> true, for batch_flush
  local DEFER_EVENTS = false -- batch events wait for publish_events (settle)
  local EVENTS = {} -- batch id -> finished, for publish_events
  local CROSSED = {} -- batch id -> { then, catch, finally } booleans crossed by this script
  local batch_outcome, chain_after

  -- A finished chain or batch is kept GROUP_RETENTION_MS (rendered by scripts.ts), then Redis drops it.
  local function expire_all(keys)
    for _, key in ipairs(keys) do redis.call('PEXPIRE', key, num(GROUP_RETENTION_MS)) end
  end
  local function expire_chain(cid) expire_all({ K_chain(cid), K_chain_links(cid) }) end

  -- Stores a link that will never run as a cancelled job, counted in its batch.
  local function store_cancelled(j, now, cid, cidx)
    local q = j.queue
    local seq = redis.call('INCR', K_queue(q, 'seq'))
    local jk = K_job(q, j.id)
    j.uniqueKey = nil
    write_job(j, jk, seq, 'cancelled', now, now, cid, cidx)
    redis.call('HSET', jk, 'finishedAt', num(now))
    redis.call('ZADD', K_queue(q, 'cancelled'), num(now), j.id)
    publish({ type = 'job', jobId = j.id, queue = q, state = 'cancelled' })
    if j.batchId then batch_outcome(j.batchId, j.id, 'cancelled', now) end
  end

  local function chain_link(cid, index, batch_id)
    local s = redis.call('LINDEX', K_chain_links(cid), index)
    if not s then return nil end
    local j = job_from_json(s)
    j.batchId = batch_id
    return j
  end

  -- Ends a chain as failed | cancelled: links from `from` on are stored cancelled; catch jobs on failure.
  local function chain_stop(cid, from, state, now)
    local ck = K_chain(cid)
    local c = redis.call('HMGET', ck, 'batchId', 'catch')
    redis.call('HSET', ck, 'state', state, 'finishedAt', num(now))
    local n = redis.call('LLEN', K_chain_links(cid))
    for i = from, n - 1 do store_cancelled(chain_link(cid, i, nz(c[1])), now, cid, i) end
    if state == 'failed' and nz(c[2]) then enqueue_all(c[2], now) end
    expire_chain(cid)
  end

  local function batch_is_cancelled(bid)
    return nz(redis.call('HGET', K_batch(bid), 'cancelledAt')) ~= nil
  end

  -- Called when link `index` of chain `cid` finished as `state`.
  chain_after = function(cid, index, state, now)
    local ck = K_chain(cid)
    local c = redis.call('HMGET', ck, 'state', 'batchId')
    if c[1] ~= 'running' then return end
    if state ~= 'completed' then return chain_stop(cid, index + 1, state, now) end
    local nextIndex = index + 1
    if nextIndex >= redis.call('LLEN', K_chain_links(cid)) then
      redis.call('HSET', ck, 'state', 'completed', 'finishedAt', num(now), 'position', num(index))
      expire_chain(cid)
      return
    end
    local bid = nz(c[2])
    if bid and batch_is_cancelled(bid) then return chain_stop(cid, nextIndex, 'cancelled', now) end
    redis.call('HSET', ck, 'position', num(nextIndex))
    local _, added = enqueue(chain_link(cid, nextIndex, bid), now, cid, nextIndex)
    -- a link turned away by a uniqueness lock stops the chain: it and the rest are stored cancelled
    if not added then chain_stop(cid, nextIndex, 'cancelled', now) end
  end

  local WAITING = { pending = true, delayed = true, retrying = true }

  -- Cancels a batch: every member that is waiting (not processing, not finished) becomes cancelled.
  local function batch_cancel(bid, now)
    local bk = K_batch(bid)
    if not nz(redis.call('HGET', bk, 'cancelledAt')) then redis.call('HSET', bk, 'cancelledAt', num(now)) end
    TOUCHED[bid] = true
    local m = redis.call('HGETALL', K_batch_members(bid))
    for i = 1, #m, 2 do
      local id, q = m[i], m[i + 1]
      local jk = K_job(q, id)
      local state = redis.call('HGET', jk, 'state')
      if state and WAITING[state] then finish_job(q, id, jk, state, 'cancelled', now) end
    end
  end

  local OUTCOME = { completed = 'c', failed = 'f', cancelled = 'x' }
  local COUNT = { c = 'processed', f = 'failed', x = 'cancelled' }

  -- Records the final outcome of a member; a member counts once, and a later outcome replaces an earlier one.
  batch_outcome = function(bid, id, state, now)
    local bk = K_batch(bid)
    if redis.call('EXISTS', bk) == 0 then return end
    local o = OUTCOME[state]
    local ok = K_batch_outcomes(bid)
    local prev = redis.call('HGET', ok, id)
    redis.call('HDEL', K_batch_members(bid), id)
    if prev == o then return end
    TOUCHED[bid] = true
    if prev then
      redis.call('HINCRBY', bk, COUNT[prev], -1)
      if prev == 'f' then redis.call('SREM', K_batch_failed(bid), id) end
    end
    redis.call('HINCRBY', bk, COUNT[o], 1)
    redis.call('HSET', ok, id, o)
    if o == 'f' then
      redis.call('SADD', K_batch_failed(bid), id)
      local b = redis.call('HMGET', bk, 'allowFailures', 'cancelledAt')
      if b[1] ~= '1' and not nz(b[2]) then batch_cancel(bid, now) end
    end
  end

  -- Crosses each threshold at most once for every batch touched by this script, enqueuing its callbacks.
  local function batch_flush(now)
    for bid in pairs(TOUCHED) do
      local bk = K_batch(bid)
      local b = redis.call('HMGET', bk, 'total', 'processed', 'failed', 'cancelled',
        'thenFired', 'catchFired', 'finallyFired')
      local total, processed, failed, cancelled = tonumber(b[1]), tonumber(b[2]), tonumber(b[3]), tonumber(b[4])
      local crossed = CROSSED[bid] or { false, false, false }
      if failed > 0 and b[6] ~= '1' then
        redis.call('HSET', bk, 'catchFired', '1')
        crossed[2] = true
        enqueue_all(redis.call('HGET', bk, 'catch'), now)
      end
      if processed == total and b[5] ~= '1' then
        redis.call('HSET', bk, 'thenFired', '1')
        crossed[1] = true
        enqueue_all(redis.call('HGET', bk, 'then'), now)
      end
      local finished = b[7] == '1'
      if processed + failed + cancelled == total and not finished then
        redis.call('HSET', bk, 'finallyFired', '1', 'finishedAt', num(now))
        crossed[3] = true
        finished = true
        enqueue_all(redis.call('HGET', bk, 'finally'), now)
        expire_all({ bk, K_batch_outcomes(bid), K_batch_members(bid), K_batch_failed(bid) })
      end
      CROSSED[bid] = crossed
      if DEFER_EVENTS then EVENTS[bid] = finished
      else publish({ type = 'batch', batchId = bid, finished = finished }) end
    end
    TOUCHED = {}
  end

  -- A settle of many items flushes after each item (each reports its own crossings) but publishes one batch
  -- event per batch, at its end (the event says the counts changed; listeners read the batch).
  local function defer_events() DEFER_EVENTS = true end
  local function publish_events()
    for bid, finished in pairs(EVENTS) do publish({ type = 'batch', batchId = bid, finished = finished }) end
    EVENTS = {}
  end

  local BATCH_FIELDS = { 'id', 'options', 'allowFailures', 'total', 'processed', 'failed', 'cancelled',
    'cancelledAt', 'createdAt', 'finishedAt', 'thenFired', 'catchFired', 'finallyFired' }

  -- The batch as returned to the client: { fields..., failedIds, crossed flags '0'|'1' x3 }.
  local function flag(v) if v then return '1' end return '0' end
  local function batch_view(bid)
    local fields = redis.call('HMGET', K_batch(bid), unpack(BATCH_FIELDS))
    if not fields[1] then return false end
    local c = CROSSED[bid] or { false, false, false }
    -- no failure counted: no failed ids to read
    local failedIds = {}
    if tonumber(fields[6]) ~= 0 then failedIds = redis.call('SMEMBERS', K_batch_failed(bid)) end
    return { fields, failedIds, { flag(c[1]), flag(c[2]), flag(c[3]) } }
  end

  return {
    chain_after = chain_after, batch_outcome = batch_outcome, batch_cancel = batch_cancel,
    batch_flush = batch_flush, batch_view = batch_view,
    defer_events = defer_events, publish_events = publish_events,
    touch = function(bid) TOUCHED[bid] = true end,
    crossed = function(bid) return CROSSED[bid] ~= nil end,
    -- forget what was crossed, between items of one call (each item reports its own crossings)
    reset = function() CROSSED = {} end,
  }
end
