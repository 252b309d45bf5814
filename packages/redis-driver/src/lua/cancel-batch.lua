-- cancel-batch: cancels a batch. Every waiting member becomes cancelled (counted, chains stopped); running
-- include: jobs
-- members finish. Crosses `finally` when that settles the last member.
--
-- KEYS[1]  the batch hash
-- ARGV[1] batch id, ARGV[2] now
--
-- Returns the batch view (see batch_view), or false when the batch is unknown.
local bid = ARGV[1]
local now = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
follow().batch_cancel(bid, now)
flush_batches(now)
return follow().batch_view(bid)
