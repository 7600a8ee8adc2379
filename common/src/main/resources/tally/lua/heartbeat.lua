-- Membership heartbeat on Redis time. KEYS[1] members sorted set (instance -> last heartbeat ms)
-- ARGV[1] instance id   ARGV[2] member TTL ms   ARGV[3] 'beat' or 'leave'
-- Drops members silent for longer than the TTL; returns {now ms, live member ids...}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] == 'leave' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now, ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
local out = {tostring(now)}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do out[#out + 1] = m end
return out
