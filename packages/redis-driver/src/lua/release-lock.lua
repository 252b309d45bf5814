-- release-lock: releases a lock only if `owner` holds it.
--
-- KEYS[1]  the lock key
-- ARGV[1] owner
--
-- Returns 1 when released, else 0.
if lock_release(KEYS[1], ARGV[1]) then return 1 end
return 0
