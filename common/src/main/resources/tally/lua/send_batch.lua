-- Appends a producer's batch for one stream in one call, in order, so that a pipeline costs one
-- command per partition instead of one per entry. Entries with an operation id are idempotent: at
-- most one entry per id within the dedupe window (SET NX PX on its dedupe key, holding the entry id).
-- KEYS[1] stream   KEYS[2..] dedupe keys of the entries that have an id, in entry order
-- ARGV[1] dedupe window ms   ARGV[2] entry count
--   then per entry: number of field/value pairs k, 1 when it has a dedupe key else 0, 2k strings
-- Returns per entry: entry id, 1 when it is a duplicate (the original entry's id) else 0.
local window = ARGV[1]
local out = {}
local at = 3
local dedupe = 2
for _ = 1, tonumber(ARGV[2]) do
  local pairs_count = tonumber(ARGV[at])
  local key = nil
  if ARGV[at + 1] == '1' then
    key = KEYS[dedupe]
    dedupe = dedupe + 1
  end
  at = at + 2
  local original = key and redis.call('GET', key)
  if original then
    out[#out + 1] = original
    out[#out + 1] = 1
  else
    local args = {'XADD', KEYS[1], '*'}
    for i = at, at + 2 * pairs_count - 1 do args[#args + 1] = ARGV[i] end
    local id = redis.call(unpack(args))
    if key then redis.call('SET', key, id, 'PX', window) end
    out[#out + 1] = id
    out[#out + 1] = 0
  end
  at = at + 2 * pairs_count
end
return out
