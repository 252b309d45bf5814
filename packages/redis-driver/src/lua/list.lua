-- list: jobs of one queue, newest first (createdAt desc, then insertion order desc), filtered by state and name.
--
-- KEYS[1]  the queue's jobs index (score = createdAt, member = 16-digit seq + id)
-- ARGV[1] queue, ARGV[2] state or '', ARGV[3] name or '', ARGV[4] offset, ARGV[5] limit
--
-- Returns { job1 fields (job_hash in base.lua), ... }.
local jobs = KEYS[1]
local q = ARGV[1]
local state, name = nz(ARGV[2]), nz(ARGV[3])
-- a name filter compares the name's part of the meta field (meta_name in base.lua)
local nameMeta = name and meta_name(name)
local offset, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local CHUNK = 500

-- whether a meta field's name part (after createdAt and maxAttempts) starts with `part`
local function meta_name_is(meta, part)
  if not meta then return false end
  local at = string.find(meta, ',', (string.find(meta, ',', 1, true) or #meta) + 1, true)
  return at ~= nil and string.sub(meta, at + 1, at + #part) == part
end

local out = {}
local matched = 0
local start = 0
while #out < limit do
  local members = redis.call('ZREVRANGE', jobs, start, start + CHUNK - 1)
  if #members == 0 then break end
  start = start + CHUNK
  for _, member in ipairs(members) do
    local id = string.sub(member, 17)
    local jk = K_job(q, id)
    local ok = true
    if state or name then
      local f = redis.call('HMGET', jk, 'state', 'meta')
      ok = (not state or f[1] == state) and (not name or meta_name_is(f[2], nameMeta))
    end
    if ok then
      matched = matched + 1
      if matched > offset then
        out[#out + 1] = job_hash(jk, id, q)
        if #out >= limit then break end
      end
    end
  end
end
return out
