-- extend-chain: adds links to a running chain, after its last link ('append') or right after the running
-- one ('prepend'), and counts them in the chain's batch.
--
-- KEYS[1]  the chain hash; KEYS[2] its links list
-- ARGV[1] position mode ('append' | 'prepend'), ARGV[2..] link NewJob JSON strings
--
-- Returns 1 when added, 0 when the chain is unknown or not running.
local ck, links = KEYS[1], KEYS[2]
local c = redis.call('HMGET', ck, 'state', 'position', 'batchId')
if c[1] ~= 'running' then return 0 end
local added = #ARGV - 1
if ARGV[1] == 'append' then
  for i = 2, #ARGV do redis.call('RPUSH', links, ARGV[i]) end
else
  local position = tonumber(c[2])
  local all = redis.call('LRANGE', links, 0, -1)
  local rebuilt = {}
  for i = 1, position + 1 do rebuilt[#rebuilt + 1] = all[i] end
  for i = 2, #ARGV do rebuilt[#rebuilt + 1] = ARGV[i] end
  for i = position + 2, #all do rebuilt[#rebuilt + 1] = all[i] end
  redis.call('DEL', links)
  for _, s in ipairs(rebuilt) do redis.call('RPUSH', links, s) end
end
if nz(c[3]) then redis.call('HINCRBY', K_batch(c[3]), 'total', added) end
return 1
