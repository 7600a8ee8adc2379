-- Estimates the number of distinct members in the union of HyperLogLogs that live on several slots
-- (several partitions). The caller GETs each HyperLogLog's bytes, and this script, on one slot,
-- writes them to scratch keys, takes PFCOUNT of all of them (the union, without modifying them) and
-- deletes the scratch keys before it returns, so nothing is left behind even if the caller dies.
-- KEYS: scratch keys (one slot, made by Keys.scratch)   ARGV: the HyperLogLog bytes, one per key
-- Returns the estimate. PFCOUNT checks that each value is a HyperLogLog; its error is returned after
-- the scratch keys are deleted. PFCOUNT and DEL take the keys through unpack (Lua's limit is about
-- 8,000 values): more than MAX_KEYS keys, or a value count that differs, is refused before any write.
local MAX_KEYS = 5000
if #KEYS > MAX_KEYS or #ARGV ~= #KEYS then
  return redis.error_reply('ERR hll_union: ' .. #KEYS .. ' scratch keys and ' .. #ARGV .. ' values; one value per '
    .. 'key and at most ' .. MAX_KEYS .. ' keys; nothing was written')
end
if #KEYS == 0 then return 0 end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i])
end
local n = redis.pcall('PFCOUNT', unpack(KEYS))
redis.call('DEL', unpack(KEYS))
if type(n) == 'table' and n.err then return redis.error_reply(n.err) end
return n
