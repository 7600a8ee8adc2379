-- Membership heartbeat on Redis time. KEYS[1] members sorted set (instance -> last heartbeat ms)
-- ARGV[1] instance id   ARGV[2] member TTL ms   ARGV[3] 'beat' or 'leave'
-- Drops members silent for longer than the TTL; returns {now ms, type replaced or '', live member ids...}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- The set holds nothing but heartbeats, renewed every tick: a key of another type that another program
-- left there is replaced, or no processor of the namespace could beat (nor apply) again.
local replaced = redis.call('TYPE', KEYS[1]).ok
if replaced == 'zset' or replaced == 'none' then
  replaced = ''
else
  redis.call('DEL', KEYS[1])
end
-- Not ACL-checked (include/acl.lua): refused part-way, the retry makes the same writes again, which converge.
if ARGV[3] == 'leave' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now, ARGV[1])
end
-- No heartbeat lies more than the TTL ahead of Redis time, but another program's member may (up to
-- +inf) and would then stay live, with a share of the partitions, forever: it is dropped (all of them in
-- one command). A member at most the TTL ahead expires by itself; should Redis time step back further,
-- a real member dropped so joins again at its next beat (its leases are fenced, never doubled).
redis.call('ZREMRANGEBYSCORE', KEYS[1], '(' .. (now + tonumber(ARGV[2])), '+inf')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
local out = {tostring(now), replaced}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do out[#out + 1] = m end
return out
