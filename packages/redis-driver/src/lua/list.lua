-- list: jobs of one queue, newest first (createdAt desc, then insertion order desc), filtered by state and name.
--
-- KEYS[1]  the queue's jobs index (score = createdAt, member = 16-digit seq + id)
-- ARGV[1] queue, ARGV[2] state or '', ARGV[3] name or '', ARGV[4] offset, ARGV[5] limit
--
-- Returns { job1 fields (HGETALL), ... }.
local jobs = KEYS[1]
local q = ARGV[1]
local state, name = nz(ARGV[2]), nz(ARGV[3])
local offset, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local CHUNK = 500

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
      local f = redis.call('HMGET', jk, 'state', 'name')
      ok = (not state or f[1] == state) and (not name or f[2] == name)
    end
    if ok then
      matched = matched + 1
      if matched > offset then
        out[#out + 1] = redis.call('HGETALL', jk)
        if #out >= limit then break end
      end
    end
  end
end
return out
