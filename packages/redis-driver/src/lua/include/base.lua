-- base: helpers every script gets, after the key functions rendered by keys.ts (K_queue, K_job, ...).
-- Kept small on purpose: a script re-creates every local function of its prelude on each call, so the prelude
-- is split (base; then enqueue, follow-ups, finish for scripts whose header says `-- include: jobs`).
-- Numbers handed to redis.call are formatted with '%d' (Lua's default keeps only 14 significant digits).

local PRIORITY_SPAN = 8796093022208 -- 2^43 ms: availableAt stays below it until the year 2248

local function num(x) return string.format('%d', x) end
local function nz(v) if v == nil or v == false or v == cjson.null or v == '' then return nil end return v end

-- A job's `meta` field: what it keeps and only clients read, in one value (see codec.ts, readMeta):
-- 'createdAt,maxAttempts,nameLength,' .. name .. options, nameLength in UTF-16 code units (a JavaScript string's
-- length), so a client cuts the name from the decoded text.
-- The name's part of it, 'nameLength,' .. name, is what list.lua compares a name filter with.
local function meta_name(name)
  local units = #name
  if string.find(name, '[\128-\255]') then
    -- a UTF-8 byte that continues a character adds no unit; a 4-byte character is two units
    units = units - select(2, string.gsub(name, '[\128-\191]', '')) + select(2, string.gsub(name, '[\240-\247]', ''))
  end
  return units .. ',' .. name
end
local function job_meta(createdAtText, maxAttemptsText, name, options)
  return createdAtText .. ',' .. maxAttemptsText .. ',' .. meta_name(name) .. options
end

-- A whole job hash for a client (HGETALL), with the id and the queue its key holds as fields `id` and `queue`.
local function job_hash(jk, id, q)
  local h = redis.call('HGETALL', jk)
  h[#h + 1] = 'id'
  h[#h + 1] = id
  h[#h + 1] = 'queue'
  h[#h + 1] = q
  return h
end

local MARKED = {}       -- queue -> true once its marker was pushed by this script
local REGISTERED = {}   -- queue -> true once added to the registry by this script
-- Both tolerate a corrupt or missing stored value (a script that raises halfway is not rolled back).
local function ready_member(seq, id) return string.format('%016d', tonumber(seq) or 0) .. id end
local function ready_score(priority, at)
  local p = tonumber(priority) or 2
  if p < 1 then p = 1 elseif p > 4 then p = 4 end
  return num((4 - p) * PRIORITY_SPAN + (tonumber(at) or 0))
end

-- One channel per event type (K_EVENTS:job, :progress, :cancel, :batch): see Keys.eventChannel.
local function publish(event) redis.call('PUBLISH', K_EVENTS .. ':' .. event.type, cjson.encode(event)) end

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
