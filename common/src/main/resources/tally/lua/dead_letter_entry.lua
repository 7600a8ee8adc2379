-- Tally dead_letter_entry script: turns the one entry apply.lua keeps failing on (a poison entry the
-- worker narrowed a failing batch down to) into a dead letter, atomically with moving the checkpoint
-- past it and acknowledging it, so that the partition goes on.
--
-- KEYS[1] input stream (ops or events)   KEYS[2] checkpoint hash   KEYS[3] lease   KEYS[4] dlq stream
-- ARGV[1] lease value (fence)   ARGV[2] consumer name   ARGV[3] source ('ops' | 'events')
-- ARGV[4] cursor: the entry is this consumer's next pending entry after this id (what apply.lua read)
-- ARGV[5] the error apply.lua raised on it
--
-- Returns {'LEASE_LOST'} | {'NONE'} (no pending entry after the cursor) | {'ACKED', id} (the entry was at
-- or below the checkpoint, or deleted: acknowledged only) | {'GAP', id} (it does not follow the
-- checkpoint: nothing written, the worker claims and re-reads) | {'DEAD', id}.
--
-- The entry's fields are copied as 'f.<name>' up to MAX_FIELDS; past that the dead letter carries
-- 'truncated' (fields left out) and 'raw' (cmsgpack of the whole field list), so that no unpack ever
-- sees a list whose length the entry decides.

local GROUP = 'tally'
local MAX_FIELDS = 1000

if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return {'LEASE_LOST'}
end

local read = redis.call('XREADGROUP', 'GROUP', GROUP, ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], ARGV[4])
local entries = read and read[1] and read[1][2] or {}
if #entries == 0 then
  return {'NONE'}
end
local id, flat = entries[1][1], entries[1][2]

-- Stream ids compared as decimals of digits (as apply.lua does): Lua numbers lose precision past 2^53,
-- and a writer may choose ids up to 18446744073709551615-18446744073709551615.
local function digits_less(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end

local function id_after(a, b)
  local da, db = string.find(a, '-', 1, true), string.find(b, '-', 1, true)
  local ams, bms = string.sub(a, 1, da - 1), string.sub(b, 1, db - 1)
  if ams ~= bms then return digits_less(bms, ams) end
  return digits_less(string.sub(b, db + 1), string.sub(a, da + 1))
end

local checkpoint = redis.call('HGET', KEYS[2], ARGV[3]) or '0-0'
if not flat or not id_after(id, checkpoint) then
  redis.call('XACK', KEYS[1], GROUP, id)
  return {'ACKED', id}
end
local nxt = redis.call('XRANGE', KEYS[1], '(' .. checkpoint, '+', 'COUNT', 1)
if #nxt == 0 or nxt[1][1] ~= id then
  return {'GAP', id}
end

local args = {'XADD', KEYS[4], '*', 'reason', 'script_error', 'error', ARGV[5], 'source', ARGV[3], 'source_id', id}
local fields = #flat / 2
local copied = math.min(fields, MAX_FIELDS)
for i = 1, 2 * copied, 2 do
  args[#args + 1] = 'f.' .. flat[i]
  args[#args + 1] = flat[i + 1]
end
if copied < fields then
  args[#args + 1] = 'truncated'
  args[#args + 1] = tostring(fields - copied)
  args[#args + 1] = 'raw'
  args[#args + 1] = cmsgpack.pack(flat)
end
redis.call(unpack(args))
redis.call('HSET', KEYS[2], ARGV[3], id)
redis.call('XACK', KEYS[1], GROUP, id)
return {'DEAD', id}
