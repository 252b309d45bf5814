-- follow-ups: what a finishing job does to its chain and its batch, built on first use (build_follow_ups) so
-- that settling a plain job does not pay for creating these functions.
--   chain_after      advance the chain (enqueue the next link) or stop it (links stored cancelled, catch jobs)
--   batch_outcome    record a member's final outcome once; without allowFailures a failure cancels the batch
--   batch_cancel     every waiting member becomes cancelled
--   batch_flush      cross then/catch/finally once for every batch this script touched, enqueuing callbacks
--   batch_view       the batch as returned to the client
--   keep_batches     (settle) each batch read once per script, its writes gathered until commit()

local finish_job -- defined in finish.lua; follow-ups call it and it calls them

local function build_follow_ups()
  local TOUCHED = {} -- batch id -> true, for batch_flush
  local DEFER_EVENTS = false -- batch events wait for publish_events (settle)
  local EVENTS = {} -- batch id -> finished, for publish_events
  local CROSSED = {} -- batch id -> thresholds crossed by this script: then 1 + catch 2 + finally 4
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

  -- The batch hash as this script sees it (see batch_state below); defined further down.
  local batch_state

  local function batch_is_cancelled(bid)
    local b = batch_state(bid)
    return b ~= nil and nz(b.f[8]) ~= nil
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

  -- The batch hash as this script sees it: one HMGET of the view's fields, counters kept as numbers. Every
  -- write to a batch in settle, cancel and cancel-batch goes through these functions, so the copy stays true.
  -- Without keep_batches() each step reads the batch afresh and writes at once (push writes the batch hash
  -- itself around its follow-ups). With it (settle: many members of one batch per call) the batch is read once
  -- per script, with the outcome records of the call's jobs, and counter changes, outcome records and member
  -- removals are gathered and written by commit(), which the script runs even when an item raises.
  local BATCH_FIELDS = { 'id', 'options', 'allowFailures', 'total', 'processed', 'failed', 'cancelled',
    'cancelledAt', 'createdAt', 'finishedAt', 'thenFired', 'catchFired', 'finallyFired' }
  local TOTAL, PROCESSED, FAILED, CANCELLED = 4, 5, 6, 7
  local CANCELLED_AT, FINISHED_AT, THEN_FIRED, CATCH_FIRED, FINALLY_FIRED = 8, 10, 11, 12, 13
  local KEEP = false
  local CALL_IDS = nil -- job ids settled by this call, whose outcome records are read with their batch
  -- batch id -> { f = fields, n = counters by field position, t = their text (see batch_view), rest = the view's
  --   text after the counters, failed = set or nil,
  --   known = outcome of each CALL_IDS job (false: none), d = counter deltas, w = outcome records to write,
  --   gone = member ids to drop from the members hash, expire = finished by this script } | false
  local STATES = {}
  local DIRTY = {} -- batch id -> state with writes gathered for commit

  batch_state = function(bid)
    local b = STATES[bid]
    if b ~= nil then return b or nil end
    local f = redis.call('HMGET', K_batch(bid), unpack(BATCH_FIELDS))
    if f[1] then
      b = { f = f, n = { [TOTAL] = tonumber(f[TOTAL]) or 0, [PROCESSED] = tonumber(f[PROCESSED]) or 0,
        [FAILED] = tonumber(f[FAILED]) or 0, [CANCELLED] = tonumber(f[CANCELLED]) or 0 },
        t = { [TOTAL] = f[TOTAL] or nil, [PROCESSED] = f[PROCESSED] or nil, [FAILED] = f[FAILED] or nil,
          [CANCELLED] = f[CANCELLED] or nil } }
      if KEEP then
        b.d, b.w, b.gone = {}, {}, {}
        if CALL_IDS then
          local o = redis.call('HMGET', K_batch_outcomes(bid), unpack(CALL_IDS))
          b.known = {}
          for i, id in ipairs(CALL_IDS) do b.known[id] = o[i] end
        end
      end
    else
      b = false
    end
    if KEEP then STATES[bid] = b end
    return b or nil
  end

  local function count(b, bid, field, by)
    b.n[field] = b.n[field] + by
    b.t[field] = nil
    if KEEP then
      b.d[field] = (b.d[field] or 0) + by
      DIRTY[bid] = b
    else
      redis.call('HINCRBY', K_batch(bid), BATCH_FIELDS[field], by)
    end
  end

  -- A counter as text (t: the stored text, or the last one made), formatted again only after it changed:
  -- string.format, or .. on a number (formatted as a float), is one of the dearest steps here.
  local function text(b, i)
    local t = b.t[i]
    if not t then t = num(b.n[i]); b.t[i] = t end
    return t
  end

  -- Writes what was gathered since the last commit (keep_batches only). Counters are written as values: every
  -- write to the batch in this script went through the kept copy, so it holds the stored counts plus this
  -- script's changes (and their text is usually made already, for the last view).
  local function commit()
    for bid, b in pairs(DIRTY) do
      local bk = K_batch(bid)
      local counts = nil
      for field, by in pairs(b.d) do
        if by ~= 0 then
          counts = counts or {}
          counts[#counts + 1] = BATCH_FIELDS[field]
          counts[#counts + 1] = text(b, field)
        end
      end
      if counts then redis.call('HSET', bk, unpack(counts)) end
      if #b.w > 0 then redis.call('HSET', K_batch_outcomes(bid), unpack(b.w)) end
      if #b.gone > 0 then redis.call('HDEL', K_batch_members(bid), unpack(b.gone)) end
      -- a batch that finished in this script expired its keys before these writes; a key created by them
      -- (the outcome records of a batch finished in its first settle call) needs its expiry too
      if b.expire then redis.call('PEXPIRE', K_batch_outcomes(bid), num(GROUP_RETENTION_MS)) end
      b.d, b.w, b.gone, b.expire = {}, {}, {}, nil
    end
    DIRTY = {}
  end

  local WAITING = { pending = true, delayed = true, retrying = true }

  -- Cancels a batch: every member that is waiting (not processing, not finished) becomes cancelled.
  local function batch_cancel(bid, now)
    local kept = KEEP
    KEEP = true -- the batch is read once for all the members cancelled here
    local bk = K_batch(bid)
    local b = batch_state(bid)
    if not (b and nz(b.f[CANCELLED_AT])) then
      redis.call('HSET', bk, 'cancelledAt', num(now))
      if b then b.f[CANCELLED_AT] = num(now); b.rest = nil end
    end
    TOUCHED[bid] = true
    commit()
    local m = redis.call('HGETALL', K_batch_members(bid))
    for i = 1, #m, 2 do
      local id, q = m[i], m[i + 1]
      local jk = K_job(q, id)
      local state = redis.call('HGET', jk, 'state')
      if state and WAITING[state] then finish_job(q, id, jk, state, 'cancelled', now) end
    end
    if not kept then
      commit()
      KEEP = false
      STATES = {}
    end
  end

  local OUTCOME = { completed = 'c', failed = 'f', cancelled = 'x' }
  local COUNT = { c = PROCESSED, f = FAILED, x = CANCELLED }

  -- Records the final outcome of a member; a member counts once, and a later outcome replaces an earlier one.
  batch_outcome = function(bid, id, state, now)
    local b = batch_state(bid)
    if not b then return end
    local o = OUTCOME[state]
    local prev = nil
    if KEEP then
      local gone = b.gone
      gone[#gone + 1] = id
      DIRTY[bid] = b
    else
      redis.call('HDEL', K_batch_members(bid), id)
    end
    local known = b.known and b.known[id]
    if known ~= nil then
      -- a job of this call: its record was read with the batch
      if known == o then return end
      prev = known or nil
      b.known[id] = o
      local w = b.w
      w[#w + 1] = id
      w[#w + 1] = o
    else
      local ok = K_batch_outcomes(bid)
      if redis.call('HSETNX', ok, id, o) == 0 then
        prev = redis.call('HGET', ok, id)
        if prev == o then return end
        redis.call('HSET', ok, id, o)
      end
    end
    TOUCHED[bid] = true
    if prev and COUNT[prev] then
      count(b, bid, COUNT[prev], -1)
      if prev == 'f' then
        redis.call('SREM', K_batch_failed(bid), id)
        if b.failed then b.failed[id] = nil end
      end
    end
    count(b, bid, COUNT[o], 1)
    if o == 'f' then
      redis.call('SADD', K_batch_failed(bid), id)
      if b.failed then b.failed[id] = true end
      if b.f[3] ~= '1' and not nz(b.f[CANCELLED_AT]) then batch_cancel(bid, now) end
    end
  end

  -- Crosses each threshold at most once for every batch touched by this script, enqueuing its callbacks.
  -- Marks threshold `name` (then, catch) fired, in the hash and in the kept fields `f` (slot `slot`), and
  -- enqueues its callback jobs.
  local function fire(bid, f, slot, name, now)
    local bk = K_batch(bid)
    redis.call('HSET', bk, name .. 'Fired', '1')
    f[slot] = '1'
    enqueue_all(redis.call('HGET', bk, name), now)
  end

  local function batch_flush(now)
    -- (runs after every item of a settle: no table is made and no key name built unless a threshold is crossed)
    for bid in pairs(TOUCHED) do
      TOUCHED[bid] = nil
      local b = batch_state(bid)
      if b then
        local f, n = b.f, b.n
        local total, processed, failed, cancelled = n[TOTAL], n[PROCESSED], n[FAILED], n[CANCELLED]
        local crossed = CROSSED[bid] or 0
        if failed > 0 and f[CATCH_FIRED] ~= '1' then
          if crossed % 4 < 2 then crossed = crossed + 2 end
          fire(bid, f, CATCH_FIRED, 'catch', now)
        end
        if processed == total and f[THEN_FIRED] ~= '1' then
          if crossed % 2 < 1 then crossed = crossed + 1 end
          fire(bid, f, THEN_FIRED, 'then', now)
        end
        local finished = f[FINALLY_FIRED] == '1'
        if processed + failed + cancelled == total and not finished then
          local bk = K_batch(bid)
          redis.call('HSET', bk, 'finallyFired', '1', 'finishedAt', num(now))
          f[FINALLY_FIRED] = '1'
          f[FINISHED_AT] = num(now)
          b.rest = nil
          if crossed < 4 then crossed = crossed + 4 end
          finished = true
          enqueue_all(redis.call('HGET', bk, 'finally'), now)
          expire_all({ bk, K_batch_outcomes(bid), K_batch_members(bid), K_batch_failed(bid) })
          if KEEP then b.expire = true; DIRTY[bid] = b end
        end
        CROSSED[bid] = crossed
        if DEFER_EVENTS then EVENTS[bid] = finished
        else publish({ type = 'batch', batchId = bid, finished = finished }) end
      end
    end
  end

  -- A settle of many items flushes after each item (each reports its own crossings) but publishes one batch
  -- event per batch, at its end (the event says the counts changed; listeners read the batch).
  local function defer_events() DEFER_EVENTS = true end
  local function publish_events()
    for bid, finished in pairs(EVENTS) do publish({ type = 'batch', batchId = bid, finished = finished }) end
    EVENTS = {}
  end

  -- The batch as returned to the client, parsed by parseBatchView in codec.ts. Usually one string (a reply
  -- of one element costs far less than an array of thirteen):
  --   flags,total,processed,failed,cancelled,cancelledAt,createdAt,finishedAt,allowFailures \0 id \0 options
  -- or, with failures counted, an array { that string, failed member ids... }. flags: crossed by this script
  -- then 1, catch 2, finally 4; stored thenFired 8, catchFired 16, finallyFired 32. When the id or the options
  -- hold a \0 byte: an array { flags, id, options, allowFailures, total, processed, failed, cancelled,
  -- cancelledAt, createdAt, finishedAt, failed member ids... }.
  local FLAG_TEXT = { [0] = '0' }
  local function batch_view(bid)
    local b = batch_state(bid)
    if not b then return false end
    local f, n = b.f, b.n
    local flags = CROSSED[bid] or 0
    if f[THEN_FIRED] == '1' then flags = flags + 8 end
    if f[CATCH_FIRED] == '1' then flags = flags + 16 end
    if f[FINALLY_FIRED] == '1' then flags = flags + 32 end
    -- what follows the counters, kept until cancelledAt or finishedAt changes; false when a \0 forbids it
    local rest = b.rest
    if rest == nil then
      local options = f[2] or ''
      if string.find(f[1], '\0', 1, true) or string.find(options, '\0', 1, true) then rest = false
      else
        rest = ',' .. (f[CANCELLED_AT] or '') .. ',' .. (f[9] or '') .. ',' .. (f[FINISHED_AT] or '') .. ','
          .. (f[3] or '') .. '\0' .. f[1] .. '\0' .. options
      end
      b.rest = rest
    end
    local v
    if rest then
      local ft = FLAG_TEXT[flags]
      if not ft then ft = num(flags); FLAG_TEXT[flags] = ft end
      local t = b.t
      v = ft .. ',' .. (t[TOTAL] or text(b, TOTAL)) .. ',' .. (t[PROCESSED] or text(b, PROCESSED)) .. ','
        .. (t[FAILED] or text(b, FAILED)) .. ',' .. (t[CANCELLED] or text(b, CANCELLED)) .. rest
      if n[FAILED] == 0 then return v end
      v = { v }
    else
      v = { flags, f[1], f[2], f[3], n[TOTAL], n[PROCESSED], n[FAILED], n[CANCELLED], f[CANCELLED_AT], f[9],
        f[FINISHED_AT] }
    end
    -- no failure counted: no failed ids to read; else read once per script (kept in step with SADD/SREM)
    if n[FAILED] ~= 0 then
      if not b.failed then
        b.failed = {}
        for _, id in ipairs(redis.call('SMEMBERS', K_batch_failed(bid))) do b.failed[id] = true end
      end
      for id in pairs(b.failed) do v[#v + 1] = id end
    end
    return v
  end

  return {
    chain_after = chain_after, batch_outcome = batch_outcome, batch_cancel = batch_cancel,
    batch_flush = batch_flush, batch_view = batch_view,
    defer_events = defer_events, publish_events = publish_events,
    touch = function(bid) TOUCHED[bid] = true end,
    crossed = function(bid) return CROSSED[bid] ~= nil end,
    -- forget what was crossed, between items of one call (each item reports its own crossings)
    reset = function()
      for bid in pairs(CROSSED) do CROSSED[bid] = nil end
    end,
    -- keep each batch read for the rest of the script, with the outcome records of `ids` (the jobs of the call);
    -- only where no one else writes a batch (settle), which then must run commit() before it returns or raises
    keep_batches = function(ids)
      KEEP = true
      if not CALL_IDS then CALL_IDS = ids end
    end,
    commit = commit,
  }
end
