-- settle-reserve: a settle, then a reserve, in one call: a worker's next jobs come back with the outcomes it
-- stored, and the reserve sees everything the settle did (a chain's next link, a freed slot of a capped queue).
-- include: jobs
-- Every key must be in one slot: the driver uses it only when the jobs settled and the queues reserved share
-- one hash tag.
--
-- KEYS     the settle's keys (ARGV[1] of them, see settle.lua), then the reserve's (see reserve.lua)
-- ARGV[1]  how many keys the settle has; ARGV[2] how many arguments it has; then the settle's arguments, then
--          the reserve's
--
-- Returns { the settle's reply, the reserve's reply }.
-- compose: settle reserve
local nk, na = tonumber(ARGV[1]), tonumber(ARGV[2])
local sk, sa, rk, ra = {}, {}, {}, {}
for i = 1, nk do sk[i] = KEYS[i] end
for i = nk + 1, #KEYS do rk[i - nk] = KEYS[i] end
for i = 1, na do sa[i] = ARGV[2 + i] end
for i = 3 + na, #ARGV do ra[i - 2 - na] = ARGV[i] end
return { settle_body(sk, sa), reserve_body(rk, ra) }
