-- Appends a producer's batch for one stream in one call, in order, so that a pipeline costs one
-- command per partition instead of one per entry. Entries with an operation id are idempotent: at
-- most one entry per id within the dedupe window (SET NX PX on its dedupe key, holding the entry id).
-- KEYS[1] stream   KEYS[2..] dedupe keys of the entries that have an id, in entry order
-- ARGV[1] dedupe window ms   ARGV[2] entry count
--   then per entry: number of field/value pairs k, 1 when it has a dedupe key else 0, 2k strings
-- Returns per entry: entry id, 1 when it is a duplicate (the original entry's id) else 0.
-- Redis runs this for every send: XADD takes the entry's fields straight from ARGV (unpack of a
-- range, no table per entry), and the GET + SET pair is the SET NX PX done in two steps because
-- the value is the id that XADD creates.
local stream = KEYS[1]
local window = ARGV[1]
local call = redis.call
local out = {}
local at = 3
local dedupe = 2
for n = 1, tonumber(ARGV[2]) do
  local last = at + 1 + 2 * tonumber(ARGV[at])
  local id
  local duplicate = 0
  if ARGV[at + 1] == '1' then
    local key = KEYS[dedupe]
    dedupe = dedupe + 1
    id = call('GET', key)
    if id then
      duplicate = 1
    else
      id = call('XADD', stream, '*', unpack(ARGV, at + 2, last))
      call('SET', key, id, 'PX', window)
    end
  else
    id = call('XADD', stream, '*', unpack(ARGV, at + 2, last))
  end
  out[2 * n - 1] = id
  out[2 * n] = duplicate
  at = last + 1
end
return out
