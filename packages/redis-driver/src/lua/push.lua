-- push: inserts jobs, chains (first link enqueued, the rest kept) and creates or extends a batch, atomically.
-- include: jobs
--
-- KEYS[1..n]  the `seq` key of every queue a top-level job or first link goes to (declares their slots);
--             when a batch is involved, also its batch hash. Other keys are built by K_* from the same layout.
-- ARGV[1]     now (ms)
-- ARGV[2]     batch mode: '' (none) | 'create' | 'add'
-- ARGV[3..8]  batch id, allowFailures ('1'|'0'), options, then / catch / finally (NewJob JSON arrays)
-- ARGV[9]     number of job runs R; ARGV[10] number of chains C; ARGV[11] number of job templates T
-- then T x 9 template fields, what jobs of one dispatch usually share: name, queue, options, priority,
--             maxAttempts, delayMs, uniqueTtl, uniqueUntil, batchId ('' = none)
-- then R runs of jobs of one template, in dispatch order: kind, template number (1-based), job count n, then
--             kind 'f': id length L, the n ids concatenated (L bytes each), then the payloads
--             kind 'i': n ids, then the payloads
--             kind 'u': n x 3 fields: id, payload, uniqueKey
--             payloads of 'f' and 'i': 'j' and one argument, each payload followed by a newline (none holds one:
--             JSON text escapes it), or 'a' and n payloads
-- then C chains: id, options, batchId, catch JSON, link count L, L link NewJob JSON strings
--
-- Returns { 1, i1, holder1, i2, holder2, ... }: only the items turned away by a uniqueness lock, as their
--         0-based position among jobs then chains and the id holding the lock; every other item was added
--         (under its own id, a chain under its first link's). { 0 } in 'add' mode when the batch is unknown,
--         finished or cancelled (nothing stored).
local now = tonumber(ARGV[1])
local batchMode = ARGV[2]
local batchId = ARGV[3]
local runCount = tonumber(ARGV[9])
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
  templates[t].meta = job_meta(num(now), num(templates[t].maxAttempts), templates[t].name, templates[t].options)
  a = a + 9
end

-- Jobs without a unique key (runs 'f' and 'i') take a bulk path: each job is one HSET; its index entries (ready
-- or delayed, the jobs index, batch membership) are gathered per key and written in variadic calls of up to
-- BULK pairs, and each queue's seq counter is read once and written back once. Same records as enqueue() writes.
-- BULK is 60: Redis keeps the argument objects of the first 32 arguments of a redis.call (up to 64 bytes each)
-- for the next call, so short calls allocate less (callgrind, 10,000-job push: 1,000 pairs 558M, 60 pairs 548M,
-- 15 pairs 541M instructions) but only without AOF or replicas, which keep every argument; with AOF on, 15 pairs
-- cost ~20M more than 1,000 and 60 about the same. Each key's list is one table written over again once sent.
local BULK = 60
-- hash-max-listpack-entries and a value longer than hash-max-listpack-value (Redis' defaults: 512, 64)
local HASH_LISTPACK_MAX, LONG_VALUE = 512, string.rep('-', 65)
local WIDE = {}       -- members keys made hashtables by this script
local nowText = num(now)
local sub, find, format, call = string.sub, string.find, string.format, redis.call
local pairs_of = {}   -- key -> { command, flat pair list }, gathered across runs; written over once sent
local used = {}       -- key -> last used index of its list
local function list_for(command, key)
  local t = pairs_of[key]
  if not t then t = { command }; pairs_of[key] = t; used[key] = 1 end
  return t
end
-- writes a full list (one call per BULK pairs); the list is then filled again from its start
local function flushed(key, t, full)
  call(t[1], key, unpack(t, 2, full))
  return 1
end
local seqs = {}       -- queue -> last seq handed out by this script (written back below)
-- '000' .. '999' by index 0..999, built by concatenation (no format call) for the bulk loop's seq texts
local DIGITS3 = setmetatable({}, { __index = function(t, i)
  local d = { '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' }
  for x = 0, 9 do for y = 0, 9 do for z = 0, 9 do rawset(t, x * 100 + y * 10 + z, d[x + 1] .. d[y + 1] .. d[z + 1]) end end end
  setmetatable(t, nil)
  return rawget(t, i)
end })
local jobIndex = 0    -- 0-based position of the next job among all jobs
for _ = 1, runCount do
  local kind, t, n = ARGV[a], templates[tonumber(ARGV[a + 1])], tonumber(ARGV[a + 2])
  local q, bid = t.queue, t.batchId
  if kind == 'u' then
    a = a + 3
    for _ = 1, n do
      local j = {
        id = ARGV[a], name = t.name, queue = q, payload = ARGV[a + 1], options = t.options, priority = t.priority,
        maxAttempts = t.maxAttempts, delayMs = t.delayMs, uniqueKey = ARGV[a + 2], uniqueTtl = t.uniqueTtl,
        uniqueUntil = t.uniqueUntil, batchId = bid,
      }
      if seqs[q] then
        -- enqueue() takes its seq with INCR: hand the counter back first
        call('SET', K_queue(q, 'seq'), num(seqs[q]))
        seqs[q] = nil
      end
      local holder, added = enqueue(j, now)
      if added then count(bid, 1)
      else
        out[#out + 1] = jobIndex
        out[#out + 1] = holder
      end
      jobIndex = jobIndex + 1
      a = a + 3
    end
  else
    local ids, len, first    -- kind 'f': ids concatenated, each len bytes; 'i': ids from ARGV[first]
    if kind == 'f' then
      len = tonumber(ARGV[a + 3])
      ids = ARGV[a + 4]
      a = a + 5
    else
      first = a + 3
      a = first + n
    end
    -- payloads: joined (cut at each newline; at = start of the next) or one argument each from ARGV[a]
    local joined = ARGV[a] == 'j' and ARGV[a + 1]
    local cut = 1
    if joined then a = a + 2 else a = a + 1 end
    local seq = seqs[q] or tonumber(call('GET', K_queue(q, 'seq'))) or 0
    local delayed = t.delayMs > 0
    local at = now + t.delayMs
    local state = delayed and 'delayed' or 'pending'
    local atText = num(at)
    local meta, priorityText = t.meta, t.priorityText
    local jobsKey = K_queue(q, 'jobs')
    local waitKey, waitScore
    if delayed then waitKey, waitScore = K_queue(q, 'delayed'), atText
    else waitKey, waitScore = K_queue(q, 'ready'), ready_score(t.priority, at) end
    local jobsList, waitList = list_for('ZADD', jobsKey), list_for('ZADD', waitKey)
    local membersKey = bid and K_batch_members(bid)
    local membersList = bid and list_for('HSET', membersKey)
    if bid and n > HASH_LISTPACK_MAX and not WIDE[membersKey] then
      -- a field longer than Redis keeps in a listpack makes the hash a hashtable at once (it would become one at
      -- 512 fields, after inserting each of them into a listpack searched from its start); the same field then
      -- gets its real value in the same call, so only the encoding differs, and only before the 512th member
      WIDE[membersKey] = true
      local id1 = ids and sub(ids, 1, len) or ARGV[first]
      call('HSET', membersKey, id1, LONG_VALUE, id1, q)
    end
    local jn, wn, mn = used[jobsKey], used[waitKey], bid and used[membersKey]   -- last used index of each list
    local full = 2 * BULK + 1
    -- seq as text without a format call per job in a long run (the table of 3 digits costs about 100 jobs' worth):
    -- the thousands part formatted once per 1,000, then 3 digits
    local manyJobs = n >= 256
    local hi, lo = math.floor((seq + 1) / 1000), (seq + 1) % 1000
    local hiText, hiPadded
    if manyJobs then hiText, hiPadded = num(hi), format('%013d', hi) end
    local jobPrefix = K_job(q, '')
    if K_job(q, '\1') ~= jobPrefix .. '\1' then jobPrefix = nil end
    for k = 0, n - 1 do
      local id
      if ids then id = sub(ids, k * len + 1, k * len + len) else id = ARGV[first + k] end
      seq = seq + 1
      local seqText, member
      if manyJobs then
        if lo == 1000 then
          hi, lo = hi + 1, 0
          hiText, hiPadded = num(hi), format('%013d', hi)
        end
        local digits = DIGITS3[lo]
        lo = lo + 1
        seqText = hi > 0 and hiText .. digits or num(seq)
        member = hiPadded .. digits .. id
      else
        seqText = num(seq)
        member = format('%016d%s', seq, id)
      end
      local jk = jobPrefix and jobPrefix .. id or K_job(q, id)
      local payload
      if joined then
        local e = find(joined, '\n', cut, true)
        payload = sub(joined, cut, e - 1)
        cut = e + 1
      else
        payload = ARGV[a + k]
      end
      -- the fields write_job (enqueue.lua) writes
      if bid then
        call('HSET', jk, 'state', state, 'priority', priorityText, 'availableAt', atText, 'seq', seqText,
          'meta', meta, 'payload', payload, 'batchId', bid)
        membersList[mn + 1] = id
        membersList[mn + 2] = q
        mn = mn + 2
        if mn >= full then mn = flushed(membersKey, membersList, full) end
      else
        call('HSET', jk, 'state', state, 'priority', priorityText, 'availableAt', atText, 'seq', seqText,
          'meta', meta, 'payload', payload)
      end
      jobsList[jn + 1] = nowText
      jobsList[jn + 2] = member
      jn = jn + 2
      if jn >= full then jn = flushed(jobsKey, jobsList, full) end
      waitList[wn + 1] = waitScore
      waitList[wn + 2] = delayed and id or member
      wn = wn + 2
      if wn >= full then wn = flushed(waitKey, waitList, full) end
    end
    seqs[q] = seq
    used[jobsKey], used[waitKey] = jn, wn
    if bid then used[membersKey] = mn end
    count(bid, n)
    jobIndex = jobIndex + n
    if not joined then a = a + n end
    register(q)
    mark(q)
  end
end
for key, t in pairs(pairs_of) do if used[key] > 1 then call(t[1], key, unpack(t, 2, used[key])) end end
for q, seq in pairs(seqs) do call('SET', K_queue(q, 'seq'), num(seq)) end

for c = 1, chainCount do
  local cid, options, bid, catch, n = ARGV[a], ARGV[a + 1], nz(ARGV[a + 2]), ARGV[a + 3], tonumber(ARGV[a + 4])
  local first = job_from_json(ARGV[a + 5])
  first.batchId = bid
  local id, added = enqueue(first, now, cid, 0)
  if not added then
    out[#out + 1] = jobIndex + c - 1
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
