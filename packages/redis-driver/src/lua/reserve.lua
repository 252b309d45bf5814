-- reserve: promotes due delayed/retrying jobs of each queue, then takes up to `max` ready jobs in strict
-- queue order, then priority desc, availableAt asc, insertion order (the ready set's order), obeying each
-- queue's settings: paused hands out nothing, `concurrency` caps the queue's processing jobs across all
-- workers, `rateLimit` caps how many start per fixed window.
--
-- KEYS[5i-4..5i]  ready, delayed, retrying, active, settings of the i-th queue (in the order asked for)
-- ARGV[1] now, ARGV[2] max, ARGV[3] leaseMs, ARGV[4] workerId, ARGV[5] token, ARGV[6..] queue names
--         ARGV[1] may also be 'now~correction' (waitAndReserve: the call waited behind a blocking pop): the
--         time is then this server's clock plus correction (the caller's clock offset, moved to its now), and
--         never earlier than now.
--
-- Returns { nextAvailableAt or '', startedAt, leaseExpiresAt, id1, queue1, job1, id2, queue2, job2, ... }.
-- nextAvailableAt is the earliest delayed/retrying availableAt after now, or the end of a rate window that held
-- ready jobs back. Each job is the values of JOB_FIELDS[1..13] in that order (false when missing, absent at the
-- end), attempts (6th) as stored by this call: what a ReservedJob needs besides what the caller knows (state
-- processing, startedAt and leaseExpiresAt above, its workerId and token, cancelRequested false). See
-- reserve-reply.ts.
local now = tonumber(ARGV[1])
if not now then
  local given, correction = string.match(ARGV[1], '^(-?[%d.]+)~(-?[%d.]+)$')
  local t = redis.call('TIME')
  now = math.max(tonumber(given), math.floor(tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000 + tonumber(correction)))
end
local max = tonumber(ARGV[2])
local nowText = num(now)
local leaseUntil = num(now + tonumber(ARGV[3]))
local workerId = ARGV[4]
local token = ARGV[5]
local PROMOTE_BATCH = 1000

local out = { '', nowText, leaseUntil }
local NO_SETTINGS = { false, false, false, false }
local nextAt = nil
local taken = 0

local function promote(q, ready, z)
  local due = redis.call('ZRANGEBYSCORE', z, '-inf', nowText, 'LIMIT', 0, PROMOTE_BATCH)
  for _, id in ipairs(due) do
    local jk = K_job(q, id)
    local f = redis.call('HMGET', jk, 'priority', 'availableAt', 'seq')
    if f[3] then
      redis.call('HSET', jk, 'state', 'pending')
      redis.call('ZADD', ready, ready_score(f[1], f[2]), ready_member(f[3], id))
    end
  end
  if #due > 0 then redis.call('ZREM', z, unpack(due)) end
end

local function sooner(at)
  if at and (nextAt == nil or at < nextAt) then nextAt = at end
end

local function earliest(z)
  sooner(tonumber(redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')[2]))
end

-- One HMGET per job: the fields returned (1..13, reserve-reply.ts reads them by position, a shorter reply's
-- missing ones as null), then the two this script reads for itself (dropped from the reply).
local JOB_FIELDS = { 'payload', 'meta', 'priority', 'availableAt', 'batchId', 'attempts', 'finishedAt', 'progress',
  'result', 'errors', 'chainId', 'chainIndex', 'uniqueKey', 'cancelRequested', 'uniqueUntil' }
-- A job as pushed (push.lua and write_job in enqueue.lua write state, priority, availableAt, seq, meta, payload,
-- and batchId for a batch member) holds none of the fields after batchId: by its size (HLEN), such a hash asks
-- for the first four fields (six in the hash) or five (seven: a batch member; a unique job or a chain link is
-- pushed with two more). Each field asked costs a lookup, a Lua value and a reply entry (callgrind, 4,000 jobs at
-- concurrency 50, with the job record in twelve fields then: about 8k of a job's 169k instructions; a batch
-- member read whole cost about 10k more than one read by its five). A hash of that size that lacks one of those
-- fields is read whole (a corrupt record, handed out as read; or one that gained another field).
local PUSHED_READ = { [6] = 4, [7] = 5 }
-- places in JOB_FIELDS (and in the reply) of the fields this script reads or writes itself
local BATCH_ID, ATTEMPTS, UNIQUE_KEY, CANCEL_REQUESTED, UNIQUE_UNTIL = 5, 6, 13, 14, 15

-- The active set of a busy queue is kept as a skiplist: as a listpack (Redis' encoding up to 128 members) each
-- ZADD here and ZREM at settle scans and moves the whole list (callgrind, 4,000 jobs at concurrency 50: about
-- 12k of the 184k Redis instructions a job costs). A member longer than zset-max-listpack-value (64 bytes by
-- default) makes the set a skiplist, which it stays until it is deleted; that member is removed in this call.
local WIDE_MEMBER = string.rep('-', 65)
local WIDE_FROM = 4   -- jobs taken in one call from which a listpack active set is made a skiplist

-- Takes up to n ready jobs of queue q; returns how many, and whether that emptied the ready set (it held
-- fewer than n).
local function take(q, jkReady, active, n)
  local got = 0
  local popped = redis.call('ZPOPMIN', jkReady, n)
  local adds = {}   -- score, member pairs for one ZADD to the active set
  for p = 1, #popped, 2 do
    local id = string.sub(popped[p], 17)
    local jk = K_job(q, id)
    local size = redis.call('HLEN', jk)
    if size > 0 then
      local read = PUSHED_READ[size]
      local f = redis.call('HMGET', jk, unpack(JOB_FIELDS, 1, read or #JOB_FIELDS))
      if read and not (f[1] and f[2] and f[3] and f[4] and (read == 4 or f[BATCH_ID])) then
        f = redis.call('HMGET', jk, unpack(JOB_FIELDS))
        read = nil
      end
      if read == 4 then f[BATCH_ID] = false end
      -- never HINCRBY a stored field: a corrupt value must not raise halfway through (no rollback)
      local attempts = num((tonumber(f[ATTEMPTS]) or 0) + 1)
      redis.call('HSET', jk, 'state', 'processing', 'attempts', attempts, 'startedAt', nowText,
        'workerId', workerId, 'token', token, 'leaseExpiresAt', leaseUntil)
      if f[CANCEL_REQUESTED] then redis.call('HDEL', jk, 'cancelRequested') end
      adds[#adds + 1] = leaseUntil
      adds[#adds + 1] = id
      if #adds >= 1000 then
        redis.call('ZADD', active, unpack(adds))
        adds = {}
      end
      if f[UNIQUE_KEY] and f[UNIQUE_UNTIL] == 'started' then lock_release(K_unique(f[UNIQUE_KEY]), id) end
      f[ATTEMPTS] = attempts
      f[UNIQUE_UNTIL] = nil
      f[CANCEL_REQUESTED] = nil
      out[#out + 1] = id
      out[#out + 1] = q
      out[#out + 1] = f
      got = got + 1
    end
  end
  if #adds > 0 then
    local wide = got >= WIDE_FROM and redis.call('OBJECT', 'ENCODING', active) ~= 'skiplist'
    if wide then
      -- first, so no member is inserted into a listpack that is then converted
      table.insert(adds, 1, WIDE_MEMBER)
      table.insert(adds, 1, leaseUntil)
    end
    redis.call('ZADD', active, unpack(adds))
    if wide then redis.call('ZREM', active, WIDE_MEMBER) end
  end
  return got, #popped < 2 * n
end

for i = 6, #ARGV do
  local q = ARGV[i]
  local k = (i - 6) * 5
  local ready, delayed, retrying, active, settings = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5]
  -- Most queues have no delayed or retrying job and no settings: one EXISTS says so, instead of a call for
  -- each (ZRANGEBYSCORE and ZRANGE cost a few µs even on a missing key, ZCARD a fraction of one: look first).
  local hasDelayed, hasRetrying, s = false, false, NO_SETTINGS
  if redis.call('EXISTS', delayed, retrying, settings) > 0 then
    hasDelayed = redis.call('ZCARD', delayed) > 0
    hasRetrying = redis.call('ZCARD', retrying) > 0
    if hasDelayed then promote(q, ready, delayed) end
    if hasRetrying then promote(q, ready, retrying) end
    s = redis.call('HMGET', settings, 'paused', 'concurrency', 'rateLimit', 'rateWindow')
  end
  if s[1] ~= '1' then
    -- room: what this call may take from q; `held` is true when a setting, not `max`, is the limit
    local room = max - taken
    local held = false
    local concurrency = tonumber(s[2])
    if concurrency then
      local free = concurrency - redis.call('ZCARD', active)
      if free < room then room, held = free, true end
    end
    local limit, windowMs = tonumber(s[3]), tonumber(s[4])
    local rateKey, windowEnd
    if limit and windowMs and windowMs > 0 then
      local window = math.floor(now / windowMs)
      rateKey = K_queue_rate(q, num(window))
      windowEnd = (window + 1) * windowMs
      local left = limit - (tonumber(redis.call('GET', rateKey)) or 0)
      if left < room then room, held = left, 'rate' end
    end
    local drained = false
    if room > 0 then
      local got
      got, drained = take(q, ready, active, room)
      taken = taken + got
      if rateKey and got > 0 then
        redis.call('INCRBY', rateKey, got)
        redis.call('PEXPIRE', rateKey, num(windowMs * 2))
      end
    end
    if not drained and redis.call('ZCARD', ready) > 0 then
      -- more work than this call took: wake another worker, unless a setting holds it back
      if not held then mark(q) elseif held == 'rate' then sooner(windowEnd) end
    end
    if hasDelayed then earliest(delayed) end
    if hasRetrying then earliest(retrying) end
  end
end

if nextAt then out[1] = num(nextAt) end
return out
