-- Idempotent send: at most one entry per operation id within the dedupe window.
-- KEYS[1] dedupe key (tally:{p<i>}:dedupe:<id>)   KEYS[2] stream
-- ARGV[1] window ms   ARGV[2..] field, value pairs
-- Returns {entry id, 0} for a new entry, {original entry id, 1} for a duplicate.
local original = redis.call('GET', KEYS[1])
if original then
  return {original, 1}
end
local args = {'XADD', KEYS[2], '*'}
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call(unpack(args))
redis.call('SET', KEYS[1], id, 'PX', ARGV[1])
return {id, 0}
