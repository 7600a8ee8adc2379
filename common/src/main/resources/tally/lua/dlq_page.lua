-- Reads one page of a dead-letter stream and returns the ids as Redis wrote them: a script reply keeps an
-- id a string, where a client may read each part of it as a signed 64-bit number and fail on one past
-- 2^63 (any program may XADD such an id to the dead letters).
-- KEYS[1] dlq stream   ARGV[1] the last id already read, '' to start at the oldest   ARGV[2] count
-- Returns {id1, {fields...}, id2, {fields...}, ...}, oldest first; empty when the stream is missing.
local from = '-'
if ARGV[1] ~= '' then
  from = '(' .. ARGV[1]
end
local out = {}
for _, e in ipairs(redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', ARGV[2])) do
  out[#out + 1] = e[1]
  out[#out + 1] = e[2]
end
return out
