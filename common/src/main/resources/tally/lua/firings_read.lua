-- Reads firings never delivered to the group, for this consumer (XREADGROUP '>'), and returns their ids
-- as Redis wrote them: a script reply keeps an id a string, where a client may read each part of it as
-- a signed 64-bit number and fail on one past 2^63 (any program may XADD such an id, and every
-- 'XADD *' after it, the processor's firings too, gets that time).
-- KEYS[1] firings stream   ARGV[1] group   ARGV[2] consumer   ARGV[3] count
-- Returns {'OK', id1, {fields...}, id2, {fields...}, ...}, or {'BLOCKED', why} when the key holds another
-- type (a reply, not an error: the consumer reads every partition in one pipeline, and one broken key
-- must not fail the others' reads). A missing stream or group is Redis's NOGROUP error.
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'stream' and kind ~= 'none' then
  return {'BLOCKED', KEYS[1] .. ' holds a ' .. kind .. ', not a stream'}
end
local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
local out = {'OK'}
if not r then
  return out
end
for _, e in ipairs(r[1][2]) do
  out[#out + 1] = e[1]
  out[#out + 1] = e[2]
end
return out
