-- Deletes the series keys of a partition (bucket hashes and bucket HyperLogLogs) whose retention
-- deadline (index score: bucket end + the window's retention, epoch ms) has passed on Redis time.
-- Fenced by the lease; removes at most ARGV[2] keys per call so that it never blocks Redis for long
-- (the next housekeeping pass continues). The index is this script's only source of key names, all
-- written by the apply script under the same hash tag.
-- KEYS[1] lease   KEYS[2] series index (zset)   ARGV[1] lease value   ARGV[2] most keys to delete
-- Returns {'OK', keys deleted} or {'LEASE_LOST'}.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {'LEASE_LOST'}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now), 'LIMIT', 0, tonumber(ARGV[2]))
if #due == 0 then return {'OK', 0} end
local CHUNK = 500
for from = 1, #due, CHUNK do
  local to = math.min(#due, from + CHUNK - 1)
  redis.call('DEL', unpack(due, from, to))
  redis.call('ZREM', KEYS[2], unpack(due, from, to))
end
return {'OK', #due}
