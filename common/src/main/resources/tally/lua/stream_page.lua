-- Reads one page of a stream (dead letters, firings) and returns the ids as Redis wrote them: a script
-- reply keeps an id a string, where a client may read each part of it as a signed 64-bit number and fail
-- on one past 2^63 (any program may XADD such an id).
-- KEYS[1] stream   ARGV[1] the last id already read, '' to start at the oldest (the newest with
-- 'reverse')   ARGV[2] count   ARGV[3] 'forward' (oldest first) | 'reverse' (newest first)
-- Returns {id1, {fields...}, id2, {fields...}, ...}; empty when the stream is missing or ends at the last id.
-- (Reverse pages need no such check: no stream holds 0-0, so no page ends at it.)
local page
if ARGV[3] == 'reverse' then
  local from = '+'
  if ARGV[1] ~= '' then from = '(' .. ARGV[1] end
  page = redis.call('XREVRANGE', KEYS[1], from, '-', 'COUNT', ARGV[2])
else
  -- nothing follows the largest id there is, and XRANGE refuses to start after it
  if ARGV[1] == '18446744073709551615-18446744073709551615' then return {} end
  local from = '-'
  if ARGV[1] ~= '' then from = '(' .. ARGV[1] end
  page = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', ARGV[2])
end
local out = {}
for _, e in ipairs(page) do
  out[#out + 1] = e[1]
  out[#out + 1] = e[2]
end
return out
