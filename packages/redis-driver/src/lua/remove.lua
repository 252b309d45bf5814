-- remove: deletes jobs of one queue that are not processing, from every index; frees their unique locks.
-- include: jobs
--
-- KEYS[1]  the queue's jobs index
-- ARGV[1] queue, ARGV[2..] job ids
--
-- Returns how many were removed.
local jobs = KEYS[1]
local q = ARGV[1]
local removed = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local jk = K_job(q, id)
  local f = redis.call('HMGET', jk, 'state', 'uniqueKey', 'batchId', 'seq')
  if f[1] and f[1] ~= 'processing' then
    leave_state(q, id, jk, f[1])
    if f[2] then lock_release(K_unique(f[2]), id) end
    if f[3] then redis.call('HDEL', K_batch_members(f[3]), id) end
    redis.call('DEL', jk)
    redis.call('ZREM', jobs, ready_member(f[4] or 0, id))
    removed = removed + 1
  end
end
return removed
