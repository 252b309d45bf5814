-- push: inserts jobs, chains (first link enqueued, the rest kept) and creates or extends a batch, atomically.
-- include: jobs
--
-- KEYS[1..n]  the `seq` key of every queue a top-level job or first link goes to (declares their slots);
--             when a batch is involved, also its batch hash. Other keys are built by K_* from the same layout.
-- ARGV[1]     now (ms)
-- ARGV[2]     batch mode: '' (none) | 'create' | 'add'
-- ARGV[3..8]  batch id, allowFailures ('1'|'0'), options, then / catch / finally (NewJob JSON arrays)
-- ARGV[9]     number of jobs J; ARGV[10] number of chains C; ARGV[11] number of job templates T
-- then T x 9 template fields, what jobs of one dispatch usually share: name, queue, options, priority,
--             maxAttempts, delayMs, uniqueTtl, uniqueUntil, batchId ('' = none)
-- then J x 4 job fields: id, payload, template number (1-based), uniqueKey ('' = none)
-- then C chains: id, options, batchId, catch JSON, link count L, L link NewJob JSON strings
--
-- Returns { 1, i1, holder1, i2, holder2, ... }: only the items turned away by a uniqueness lock, as their
--         0-based position among jobs then chains and the id holding the lock; every other item was added
--         (under its own id, a chain under its first link's). { 0 } in 'add' mode when the batch is unknown,
--         finished or cancelled (nothing stored).
local now = tonumber(ARGV[1])
local batchMode = ARGV[2]
local batchId = ARGV[3]
local jobCount = tonumber(ARGV[9])
local chainCount = tonumber(ARGV[10])
local templateCount = tonumber(ARGV[11])

if batchMode == 'add' then
  local b = redis.call('HMGET', K_batch(batchId), 'id', 'finallyFired', 'cancelledAt')
  if not b[1] or b[2] == '1' or nz(b[3]) then return { 0 } end
elseif batchMode == 'create' then
  redis.call('HSET', K_batch(batchId), 'id', batchId, 'allowFailures', ARGV[4], 'options', ARGV[5],
    'then', ARGV[6], 'catch', ARGV[7], 'finally', ARGV[8], 'total', '0', 'processed', '0', 'failed', '0',
    'cancelled', '0', 'createdAt', num(now))
  follow().touch(batchId)
end

local totals = {}
local function count(bid, n) if bid then totals[bid] = (totals[bid] or 0) + n end end

local out = { 1 }
local a = 12
local templates = {}
for t = 1, templateCount do
  templates[t] = {
    name = ARGV[a], queue = ARGV[a + 1], options = ARGV[a + 2], priority = tonumber(ARGV[a + 3]),
    maxAttempts = tonumber(ARGV[a + 4]), delayMs = tonumber(ARGV[a + 5]), uniqueTtl = nz(ARGV[a + 6]),
    uniqueUntil = ARGV[a + 7], batchId = nz(ARGV[a + 8]),
  }
  templates[t].priorityText = num(templates[t].priority)
  templates[t].maxAttemptsText = num(templates[t].maxAttempts)
  a = a + 9
end

-- Jobs without a unique key take a bulk path: each job is one HSET; its index entries (ready or delayed, the
-- jobs index, batch membership) are gathered per key and written in variadic calls of up to BULK pairs, and
-- each queue's seq counter is read once and written back once. Same records as enqueue() writes.
local BULK = 500
local nowText = num(now)
local pairs_of = {}   -- key -> { command, flat pair list }
local function later(command, key, x, y)
  local t = pairs_of[key]
  if not t then t = { command }; pairs_of[key] = t end
  t[#t + 1] = x
  t[#t + 1] = y
  if #t > 2 * BULK then
    redis.call(command, key, unpack(t, 2))
    pairs_of[key] = nil
  end
end
local seqs = {}       -- queue -> last seq handed out by this script (written back below)
for i = 1, jobCount do
  local id, payload, t, uniqueKey = ARGV[a], ARGV[a + 1], templates[tonumber(ARGV[a + 2])], nz(ARGV[a + 3])
  local q, bid = t.queue, t.batchId
  if uniqueKey then
    local j = {
      id = id, name = t.name, queue = q, payload = payload, options = t.options, priority = t.priority,
      maxAttempts = t.maxAttempts, delayMs = t.delayMs, uniqueKey = uniqueKey, uniqueTtl = t.uniqueTtl,
      uniqueUntil = t.uniqueUntil, batchId = bid,
    }
    if seqs[q] then
      -- enqueue() takes its seq with INCR: hand the counter back first
      redis.call('SET', K_queue(q, 'seq'), num(seqs[q]))
      seqs[q] = nil
    end
    local holder, added = enqueue(j, now)
    if added then count(bid, 1)
    else
      out[#out + 1] = i - 1
      out[#out + 1] = holder
    end
  else
    local seq = seqs[q]
    if not seq then seq = tonumber(redis.call('GET', K_queue(q, 'seq'))) or 0 end
    seq = seq + 1
    seqs[q] = seq
    local at = now + t.delayMs
    local member = ready_member(seq, id)
    local state = t.delayMs > 0 and 'delayed' or 'pending'
    local atText = t.delayMs > 0 and num(at) or nowText
    if bid then
      redis.call('HSET', K_job(q, id), 'id', id, 'name', t.name, 'queue', q, 'payload', payload,
        'options', t.options, 'state', state, 'priority', t.priorityText, 'attempts', '0',
        'maxAttempts', t.maxAttemptsText, 'createdAt', nowText, 'availableAt', atText, 'seq', num(seq),
        'batchId', bid)
      later('HSET', K_batch_members(bid), id, q)
      count(bid, 1)
    else
      redis.call('HSET', K_job(q, id), 'id', id, 'name', t.name, 'queue', q, 'payload', payload,
        'options', t.options, 'state', state, 'priority', t.priorityText, 'attempts', '0',
        'maxAttempts', t.maxAttemptsText, 'createdAt', nowText, 'availableAt', atText, 'seq', num(seq))
    end
    later('ZADD', K_queue(q, 'jobs'), nowText, member)
    if t.delayMs > 0 then later('ZADD', K_queue(q, 'delayed'), atText, id)
    else later('ZADD', K_queue(q, 'ready'), ready_score(t.priority, at), member) end
    register(q)
    mark(q)
  end
  a = a + 4
end
for key, t in pairs(pairs_of) do redis.call(t[1], key, unpack(t, 2)) end
for q, seq in pairs(seqs) do redis.call('SET', K_queue(q, 'seq'), num(seq)) end

for c = 1, chainCount do
  local cid, options, bid, catch, n = ARGV[a], ARGV[a + 1], nz(ARGV[a + 2]), ARGV[a + 3], tonumber(ARGV[a + 4])
  local first = job_from_json(ARGV[a + 5])
  first.batchId = bid
  local id, added = enqueue(first, now, cid, 0)
  if not added then
    out[#out + 1] = jobCount + c - 1
    out[#out + 1] = id
  end
  if added then
    local ck = K_chain(cid)
    redis.call('HSET', ck, 'id', cid, 'state', 'running', 'position', '0', 'options', options, 'catch', catch,
      'createdAt', num(now))
    if bid then redis.call('HSET', ck, 'batchId', bid) end
    local links = K_chain_links(cid)
    for i = 0, n - 1 do redis.call('RPUSH', links, ARGV[a + 5 + i]) end
    count(bid, n)
  end
  a = a + 5 + n
end

for bid, n in pairs(totals) do redis.call('HINCRBY', K_batch(bid), 'total', n) end
flush_batches(now)
return out
