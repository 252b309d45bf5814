-- push: inserts jobs, chains (first link enqueued, the rest kept) and creates or extends a batch, atomically.
-- include: jobs
--
-- KEYS[1..n]  the `seq` key of every queue a top-level job or first link goes to (declares their slots);
--             when a batch is involved, also its batch hash. Other keys are built by K_* from the same layout.
-- ARGV[1]     now (ms)
-- ARGV[2]     batch mode: '' (none) | 'create' | 'add'
-- ARGV[3..8]  batch id, allowFailures ('1'|'0'), options, then / catch / finally (NewJob JSON arrays)
-- ARGV[9]     number of jobs J; ARGV[10] number of chains C
-- then J x 12 job fields: id, name, queue, payload, options, priority, maxAttempts, delayMs,
--             uniqueKey, uniqueTtl, uniqueUntil, batchId ('' = none)
-- then C chains: id, options, batchId, catch JSON, link count L, L link NewJob JSON strings
--
-- Returns { 1, id1, added1, ..., idJ, addedJ, chainId1..: firstLinkOrHolderId, added } in input order;
--         { 0 } in 'add' mode when the batch is unknown, finished or cancelled (nothing stored).
local now = tonumber(ARGV[1])
local batchMode = ARGV[2]
local batchId = ARGV[3]
local jobCount = tonumber(ARGV[9])
local chainCount = tonumber(ARGV[10])

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
local a = 11
for _ = 1, jobCount do
  local j = {
    id = ARGV[a], name = ARGV[a + 1], queue = ARGV[a + 2], payload = ARGV[a + 3], options = ARGV[a + 4],
    priority = tonumber(ARGV[a + 5]), maxAttempts = tonumber(ARGV[a + 6]), delayMs = tonumber(ARGV[a + 7]),
    uniqueKey = nz(ARGV[a + 8]), uniqueTtl = nz(ARGV[a + 9]), uniqueUntil = ARGV[a + 10], batchId = nz(ARGV[a + 11]),
  }
  a = a + 12
  local id, added = enqueue(j, now)
  out[#out + 1] = id
  out[#out + 1] = added and 1 or 0
  if added then count(j.batchId, 1) end
end

for _ = 1, chainCount do
  local cid, options, bid, catch, n = ARGV[a], ARGV[a + 1], nz(ARGV[a + 2]), ARGV[a + 3], tonumber(ARGV[a + 4])
  local first = job_from_json(ARGV[a + 5])
  first.batchId = bid
  local id, added = enqueue(first, now, cid, 0)
  out[#out + 1] = id
  out[#out + 1] = added and 1 or 0
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
