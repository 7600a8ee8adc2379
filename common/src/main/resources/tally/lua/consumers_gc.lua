-- Deletes consumers of the 'tally' group that own no pending entry, have been idle longer than
-- ARGV[2] ms and are not live processor instances. Fenced by the lease.
-- KEYS[1] stream   KEYS[2] lease   ARGV[1] lease value   ARGV[2] min idle ms   ARGV[3..] live instances
-- Returns {'OK', deleted} or {'LEASE_LOST'}.
--#include lease_fence
if not holds_lease(KEYS[2], ARGV[1]) then
  return {'LEASE_LOST'}
end
-- Its only write is XGROUP DELCONSUMER on KEYS[1]: refused, it is refused at the first consumer (no ACL check).
local live = {}
for i = 3, #ARGV do live[ARGV[i]] = true end
local deleted = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], 'tally')) do
  local f = {}
  for j = 1, #c, 2 do f[c[j]] = c[j + 1] end
  if f['pending'] == 0 and f['idle'] > tonumber(ARGV[2]) and not live[f['name']] then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], 'tally', f['name'])
    deleted = deleted + 1
  end
end
return {'OK', deleted}
