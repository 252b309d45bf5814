-- enqueue: storing jobs. enqueue stores a NewJob (uniqueness, ready/delayed index, batch membership,
-- wake-up marker); to_waiting puts a processing job back to wait; leave_state takes a job out of its index.

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
  -- the six fields every job is pushed with (reserve.lua reads a hash of only these with a shorter HMGET)
  redis.call('HSET', jk, 'state', state, 'priority', num(j.priority), 'availableAt', num(at), 'seq', num(seq),
    'meta', job_meta(num(now), num(j.maxAttempts), j.name, j.options), 'payload', j.payload)
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
