-- Deletes the series keys of a partition (bucket hashes and bucket HyperLogLogs) whose retention
-- deadline (index score: bucket end + the window's retention, epoch ms) has passed on Redis time.
-- Fenced by the lease; looks at most ARGV[2] due index members per call so that it never blocks Redis
-- for long (the next housekeeping pass continues).
-- The index names the keys, and any program may write it: only a name under one of the partition's
-- two series prefixes (as the apply scripts build them) is deleted; any other member (the partition's
-- counters, another namespace's key, ...) is only removed from the index.
-- KEYS[1] lease   KEYS[2] series index (zset)   KEYS[3] prefix of the bucket hashes ('<ns>:{p<i>}:series:')
-- KEYS[4] prefix of the bucket HyperLogLogs ('<ns>:{p<i>}:hllw:')
-- ARGV[1] lease value   ARGV[2] most index members to look at
-- Returns {'OK', keys deleted} or {'LEASE_LOST'}.
if #KEYS ~= 4 then
  return redis.error_reply('series_retention: 4 keys expected (lease, index, two series prefixes), got ' .. #KEYS)
end
--#include lease_fence
if not holds_lease(KEYS[1], ARGV[1]) then
  return {'LEASE_LOST'}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now), 'LIMIT', 0, tonumber(ARGV[2]))
if #due == 0 then return {'OK', 0} end

local function under(name, prefix)
  return #name > #prefix and string.sub(name, 1, #prefix) == prefix
end
local series = {}
for _, name in ipairs(due) do
  if under(name, KEYS[3]) or under(name, KEYS[4]) then series[#series + 1] = name end
end

local CHUNK = 500
-- Not ACL-checked (include/acl.lua): refused part-way, the next pass deletes the same keys again (absent, harmless)
-- and removes the index members.
for from = 1, #series, CHUNK do
  redis.call('DEL', unpack(series, from, math.min(#series, from + CHUNK - 1)))
end
for from = 1, #due, CHUNK do
  redis.call('ZREM', KEYS[2], unpack(due, from, math.min(#due, from + CHUNK - 1)))
end
return {'OK', #series}
