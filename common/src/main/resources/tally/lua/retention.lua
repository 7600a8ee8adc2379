-- Trims a stream of a partition without ever removing an entry that some consumer group has not
-- acknowledged: MINID is at most the smallest, over all groups, of the oldest pending id and the
-- successor of the last-delivered id. Fenced by the lease.
--   Input streams (ARGV[2] absent or ''): trimmed to that floor, and never past the successor of the
--   partition's checkpoint (KEYS[3], field ARGV[3]) when given: an entry after it is not applied yet, even
--   when no group has it pending (another program acknowledged it), and trimming it would lose it
--   silently; no checkpoint, or one that is no stream id, trims nothing. A stream without groups is left
--   as it is.
--   Output streams (firings, firings-dlq, dlq: ARGV[2] = retention ms): trimmed by age on Redis time,
--   entry ids carrying the time they were appended (MINID <now - retention>-0), never past the floor;
--   a stream without groups is trimmed by age alone.
-- KEYS[1] stream   KEYS[2] lease   KEYS[3] checkpoint hash (input streams, optional)
-- ARGV[1] lease value   ARGV[2] retention ms (output streams)   ARGV[3] checkpoint field (with KEYS[3])
-- Returns {'OK', entries trimmed} or {'LEASE_LOST'}.
--#include lease_fence
if not holds_lease(KEYS[2], ARGV[1]) then
  return {'LEASE_LOST'}
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'OK', 0} end

--#include ids

local floor = nil
if ARGV[2] and ARGV[2] ~= '' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  floor = fmt(now - tonumber(ARGV[2])) .. '-0'
end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local f = {}
  for j = 1, #g, 2 do f[g[j]] = g[j + 1] end
  local candidate
  local summary = redis.call('XPENDING', KEYS[1], f['name'])
  if summary[1] > 0 then
    candidate = summary[2]
  else
    -- the last-delivered id itself when it is the largest id there is (nothing can follow it)
    candidate = id_successor(f['last-delivered-id']) or f['last-delivered-id']
  end
  if floor == nil or id_less(candidate, floor) then floor = candidate end
end
if floor == nil then return {'OK', 0} end
if KEYS[3] then
  local checkpoint = redis.pcall('HGET', KEYS[3], ARGV[3])
  if type(checkpoint) ~= 'string' or not is_stream_id(checkpoint) then return {'OK', 0} end
  local after = id_successor(checkpoint) or checkpoint
  if id_less(after, floor) then floor = after end
end
return {'OK', redis.call('XTRIM', KEYS[1], 'MINID', floor)}
