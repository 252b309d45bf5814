-- acquire-lock: takes an overlap lock for `owner` if it is free or expired at `now`.
--
-- KEYS[1]  the lock key
-- ARGV[1] owner, ARGV[2] ttl ms or '' (no expiry), ARGV[3] now
--
-- Returns 1 when `owner` holds the lock after the call, else 0.
local holder = lock_take(KEYS[1], ARGV[1], nz(ARGV[2]), tonumber(ARGV[3]))
if holder == ARGV[1] then return 1 end
return 0
