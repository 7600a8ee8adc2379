-- Claims pending entries of every consumer of the partition for this consumer (XAUTOCLAIM,
-- min-idle 0), fenced by the lease. KEYS[1] stream   KEYS[2] lease
-- ARGV[1] lease value   ARGV[2] consumer   ARGV[3] cursor   ARGV[4] count
-- Returns {'OK', next cursor, claimed count, deleted ids...} or {'LEASE_LOST'}.
--#include lease_fence
if not holds_lease(KEYS[2], ARGV[1]) then
  return {'LEASE_LOST'}
end
local r = redis.call('XAUTOCLAIM', KEYS[1], 'tally', ARGV[2], 0, ARGV[3], 'COUNT', ARGV[4], 'JUSTID')
local out = {'OK', r[1], tostring(#r[2])}
for _, id in ipairs(r[3] or {}) do out[#out + 1] = id end
return out
