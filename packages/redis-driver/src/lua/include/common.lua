-- Shared helpers, prepended to every script after the key functions rendered by keys.ts (K_queue, K_job,
-- K_batch, ...). Everything a transition does besides its own fields lives here, so push, settle, cancel
-- and cancelBatch apply exactly the same follow-ups:
--   enqueue          store a NewJob (uniqueness, ready/delayed index, batch membership, wake-up marker)
--   finish_job       move a job to completed | failed | cancelled and run its follow-ups:
--                    unique lock release, job event, chain advance/stop, batch outcome
--   batch_flush      cross then/catch/finally once for every batch this script touched
-- Numbers handed to redis.call are formatted with '%d' (Lua's default keeps only 14 significant digits).

local TOUCHED = {}      -- batch id -> true, for batch_flush
local CROSSED = {}      -- batch id -> { then, catch, finally } booleans crossed by this script
local MARKED = {}       -- queue -> true once its marker was pushed by this script
local REGISTERED = {}   -- queue -> true once added to the registry by this script
local PRIORITY_SPAN = 8796093022208 -- 2^43 ms: availableAt stays below it until the year 2248

local function num(x) return string.format('%d', x) end
local function nz(v) if v == nil or v == false or v == cjson.null or v == '' then return nil end return v end

-- Both tolerate a corrupt or missing stored value (a script that raises halfway is not rolled back).
local function ready_member(seq, id) return string.format('%016d', tonumber(seq) or 0) .. id end
local function ready_score(priority, at)
  local p = tonumber(priority) or 2
  if p < 1 then p = 1 elseif p > 4 then p = 4 end
  return num((4 - p) * PRIORITY_SPAN + (tonumber(at) or 0))
end

local function publish(event) redis.call('PUBLISH', K_EVENTS, cjson.encode(event)) end

-- Wakes one blocked waitForWork of queue q (the marker list never holds more than one element).
local function mark(q)
  if MARKED[q] then return end
  MARKED[q] = true
  local m = K_queue(q, 'marker')
  if redis.call('LLEN', m) == 0 then redis.call('LPUSH', m, '1') end
end

local function register(q)
  if REGISTERED[q] then return end
  REGISTERED[q] = true
  redis.call('SADD', K_QUEUES, q)
end

-- Locks are strings 'expiresAt|owner' (expiresAt 0: no expiry); expiry is judged by the caller's now.
-- Returns the holder after the call: owner when taken (or already held by owner).
local function lock_take(key, owner, ttl, now)
  local v = redis.call('GET', key)
  if v then
    local bar = string.find(v, '|', 1, true)
    local exp = tonumber(string.sub(v, 1, bar - 1))
    local holder = string.sub(v, bar + 1)
    if exp == 0 or exp > now then return holder end
  end
  ttl = tonumber(ttl)
  if ttl then
    if ttl < 1 then ttl = 1 end
    -- PX only collects locks whose job vanished; expiry itself follows now.
    redis.call('SET', key, num(now + ttl) .. '|' .. owner, 'PX', num(ttl))
  else
    redis.call('SET', key, '0|' .. owner)
  end
  return owner
end

local function lock_release(key, owner)
  local v = redis.call('GET', key)
  if not v then return false end
  local bar = string.find(v, '|', 1, true)
  if string.sub(v, bar + 1) ~= owner then return false end
  redis.call('DEL', key)
  return true
end

-- A NewJob decoded from JSON (chain links, callbacks) as the flat table enqueue takes.
local function job_from_table(t)
  local j = {
    id = t.id, name = t.name, queue = t.queue, payload = t.payload, options = t.options,
    priority = tonumber(t.priority) or 2, maxAttempts = tonumber(t.maxAttempts) or 1,
    delayMs = tonumber(t.delayMs) or 0, batchId = nz(t.batchId),
  }
  local u = nz(t.unique)
  if u then j.uniqueKey = u.key; j.uniqueTtl = nz(u.ttlMs); j.uniqueUntil = u['until'] end
  return j
end

local function job_from_json(s) return job_from_table(cjson.decode(s)) end

local function write_job(j, jk, seq, state, now, at, cid, cidx)
  redis.call('HSET', jk, 'id', j.id, 'name', j.name, 'queue', j.queue, 'payload', j.payload,
    'options', j.options, 'state', state, 'priority', num(j.priority), 'attempts', '0',
    'maxAttempts', num(j.maxAttempts), 'createdAt', num(now), 'availableAt', num(at), 'seq', num(seq))
  if j.batchId then redis.call('HSET', jk, 'batchId', j.batchId) end
  if cid then redis.call('HSET', jk, 'chainId', cid, 'chainIndex', num(cidx)) end
  if j.uniqueKey then redis.call('HSET', jk, 'uniqueKey', j.uniqueKey, 'uniqueUntil', j.uniqueUntil) end
  redis.call('ZADD', K_queue(j.queue, 'jobs'), num(now), ready_member(seq, j.id))
  register(j.queue)
end

-- Stores a new job, ready at now + delayMs. Returns the id that holds the job's place and whether it was
-- added (false: its unique key is held by that id).
local function enqueue(j, now, cid, cidx)
  if j.uniqueKey then
    local holder = lock_take(K_unique(j.uniqueKey), j.id, j.uniqueTtl, now)
    if holder ~= j.id then return holder, false end
  end
  local q = j.queue
  local seq = redis.call('INCR', K_queue(q, 'seq'))
  local at = now + j.delayMs
  local jk = K_job(q, j.id)
  if j.delayMs > 0 then
    write_job(j, jk, seq, 'delayed', now, at, cid, cidx)
    redis.call('ZADD', K_queue(q, 'delayed'), num(at), j.id)
  else
    write_job(j, jk, seq, 'pending', now, at, cid, cidx)
    redis.call('ZADD', K_queue(q, 'ready'), ready_score(j.priority, at), ready_member(seq, j.id))
  end
  if j.batchId then redis.call('HSET', K_batch_members(j.batchId), j.id, q) end
  mark(q)
  return j.id, true
end

local function enqueue_all(json_array, now)
  for _, t in ipairs(cjson.decode(json_array)) do enqueue(job_from_table(t), now) end
end

-- Removes a job from the index of its current state.
local function leave_state(q, id, jk, state)
  if state == 'pending' then
    redis.call('ZREM', K_queue(q, 'ready'), ready_member(redis.call('HGET', jk, 'seq'), id))
  elseif state == 'processing' then
    redis.call('ZREM', K_queue(q, 'active'), id)
  elseif state == 'delayed' or state == 'retrying' or state == 'completed' or state == 'failed'
      or state == 'cancelled' then
    redis.call('ZREM', K_queue(q, state), id)
  end
end

-- Puts a job back to wait until `at`: pending at once when due, else in `later` (delayed | retrying).
local function to_waiting(q, id, jk, at, now, later)
  redis.call('HSET', jk, 'availableAt', num(at))
  if at <= now then
    local f = redis.call('HMGET', jk, 'priority', 'seq')
    redis.call('HSET', jk, 'state', 'pending')
    redis.call('ZADD', K_queue(q, 'ready'), ready_score(f[1], at), ready_member(f[2], id))
    mark(q)
    return 'pending'
  end
  local z = K_queue(q, later)
  local first = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  redis.call('HSET', jk, 'state', later)
  redis.call('ZADD', z, num(at), id)
  -- a wait that ends sooner than every other one may shorten a sleeping worker's timer
  if first[2] == nil or at < tonumber(first[2]) then mark(q) end
  return later
end

local batch_outcome, chain_after

-- Finishes a job that exists in state `from` as `state` (completed | failed | cancelled), with every
-- follow-up: index move, lease cleared, unique lock released if still owned, event, chain, batch.
local function finish_job(q, id, jk, from, state, now)
  leave_state(q, id, jk, from)
  redis.call('HSET', jk, 'state', state, 'finishedAt', num(now))
  redis.call('HDEL', jk, 'token', 'workerId', 'leaseExpiresAt')
  redis.call('ZADD', K_queue(q, state), num(now), id)
  local f = redis.call('HMGET', jk, 'uniqueKey', 'batchId', 'chainId', 'chainIndex')
  if f[1] then lock_release(K_unique(f[1]), id) end
  publish({ type = 'job', jobId = id, queue = q, state = state })
  if f[3] then chain_after(f[3], tonumber(f[4]) or 0, state, now) end
  if f[2] then batch_outcome(f[2], id, state, now) end
end

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
    end
    CROSSED[bid] = crossed
    publish({ type = 'batch', batchId = bid, finished = finished })
  end
  TOUCHED = {}
end

local BATCH_FIELDS = { 'id', 'options', 'allowFailures', 'total', 'processed', 'failed', 'cancelled',
  'cancelledAt', 'createdAt', 'finishedAt', 'thenFired', 'catchFired', 'finallyFired' }

-- The batch as returned to the client: { fields..., failedIds, crossed flags '0'|'1' x3 }.
local function batch_view(bid)
  local bk = K_batch(bid)
  if redis.call('EXISTS', bk) == 0 then return false end
  local c = CROSSED[bid] or { false, false, false }
  local flag = function(v) if v then return '1' end return '0' end
  return { redis.call('HMGET', bk, unpack(BATCH_FIELDS)), redis.call('SMEMBERS', K_batch_failed(bid)),
    { flag(c[1]), flag(c[2]), flag(c[3]) } }
end
