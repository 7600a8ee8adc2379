-- Tally fast apply path: applies one batch of counter operations that the processor has already read
-- (XREADGROUP '>'), validated and pre-aggregated per counter, then moves the checkpoint and acknowledges
-- the entries, atomically. Anything the aggregate cannot decide exactly is left to apply.lua: the script
-- then writes nothing and answers SLOW.
--
-- KEYS[1] ops stream   KEYS[2] counters hash   KEYS[3] checkpoint hash   KEYS[4] lease
-- KEYS[5] triggers by counter (index)   KEYS[6] prefix of series bucket hashes ('..series:' + window:start)
-- KEYS[7] series index (zset: bucket hash -> retention deadline)
-- ARGV[1] lease value (fence)   ARGV[2] first id   ARGV[3] last id
-- ARGV[4] bound: the largest |running sum| any counter reaches within the batch, relative to its value
--         before the batch (decimal, < 2^53)
-- ARGV[5] the batch's ids in order, separated by spaces
-- ARGV[6] 'counter\nchange\n' per counter: change is a signed decimal delta, or '=' and the decimal value
--         the counter ends with (the batch sets it; everything after the last set is folded in). Names
--         cannot hold control characters, so '\n' separates safely. Two strings instead of one argument
--         per id and counter halve the processor's cost of sending a batch.
-- ARGV[7] 'bucket\ncounter\ndelta\n' per series cell ('window:start' names the bucket hash)
-- ARGV[8] 'bucket\ndeadline\n' per bucket hash, for the series index
-- ARGV[9] the largest id time (ms) of the batch's windowed entries, '' (or absent) when it has none
-- ARGV[10] series-future-ms: how far an id time may lead Redis time before apply.lua buckets its entry
--          at Redis time ('future.<window>'), which the fold cannot do
--
-- Returns {'OK', applied, redelivered} | {'SLOW', reason} | {'GAP'} | {'LEASE_LOST'}.
-- GAP when the batch's first entry is not the one after the checkpoint, or its last is not in the stream.
-- SLOW when part of the batch is at or below the checkpoint, a windowed entry's id time lies more than
-- ARGV[10] ahead of Redis time (future: the fold bucketed it by its id time; one TIME per batch with
-- windowed entries, none for a plain one), a counter has threshold triggers (judged per entry), or a
-- stored counter or bucket sum is not a canonical integer below 1e14 minus the bound (overflow and
-- not_integer are judged per entry). Everything is read before the first write, and every
-- key written is read first (hashes) or its type checked (the series index, one TYPE per batch with
-- series cells): a key of another type refuses the call, 'BADKEY <key> holds ...', writing nothing.

local GROUP = 'tally'
local LIM = 9007199254740992 -- 2^53: Lua numbers are exact below this

--#include lease_fence
if not holds_lease(KEYS[4], ARGV[1]) then
  return {'LEASE_LOST'}
end

local first, last = ARGV[2], ARGV[3]
local ids = {}
for id in string.gmatch(ARGV[5], '%S+') do ids[#ids + 1] = id end

--#include ids
--#include apply_keys

local checkpoint = read_checkpoint(KEYS[3], 'ops')
if not id_less(checkpoint, last) then
  -- Everything was applied before (a replay after a lost reply): acknowledge only.
  redis.call('XACK', KEYS[1], GROUP, unpack(ids))
  return {'OK', '0', tostring(#ids)}
end
if not id_less(checkpoint, first) then
  return {'SLOW', 'checkpoint'}
end
local nxt = redis.call('XRANGE', KEYS[1], '(' .. checkpoint, '+', 'COUNT', 1)
if #nxt == 0 or nxt[1][1] ~= first then
  return {'GAP'}
end
-- The batch is one XREADGROUP '>' read: a run of consecutive stream entries, so with its first entry
-- following the checkpoint it covers every entry up to its last.
-- The batch was read before this call, maybe from a master that a failover (or a restart that lost
-- the last writes) has since replaced: the stream here is then a prefix of the one read, and the
-- batch's tail may be gone (and be sent again by producers). Its last entry being here proves the rest
-- (for a batch of one, the lookup above already found it).
if last ~= first and #redis.call('XRANGE', KEYS[1], last, last) == 0 then
  return {'GAP'}
end
-- The processor folded windowed entries by their id time after judging "ahead" on its own clock;
-- apply.lua judges it on Redis's, so near the boundary Redis time decides here, as it would there.
if ARGV[9] and ARGV[9] ~= '' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if tonumber(ARGV[9]) > now + tonumber(ARGV[10]) then
    return {'SLOW', 'future'}
  end
end

local names, changes = {}, {}
for name, change in string.gmatch(ARGV[6], '([^\n]*)\n([^\n]*)\n') do
  names[#names + 1] = name
  changes[#changes + 1] = change
end

if redis.call('EXISTS', KEYS[5]) == 1 then
  local listed = read_key('hash', 'HMGET', KEYS[5], unpack(names))
  for i = 1, #names do
    if listed[i] then return {'SLOW', 'threshold'} end
  end
end

local bound = tonumber(ARGV[4])

-- A stored value the fold may add to: nil when apply.lua must judge it. tostring prints integers
-- below 1e14 exactly and canonically, so with the floor test this accepts exactly the canonical
-- integers apply.lua would accept ('1.5', '5.0', '007', '1e3' are not, nor '-0', which tostring
-- prints back as it is), within the range where Lua's arithmetic is exact.
local function base(s)
  local value = 0
  if s then
    value = tonumber(s)
    if value == nil or value ~= math.floor(value) or tostring(value) ~= s or s == '-0'
        or value >= 1e14 or value <= -1e14 then
      return nil
    end
  end
  if value + bound >= LIM or value - bound <= -LIM then return nil end
  return value
end


local stored = read_key('hash', 'HMGET', KEYS[2], unpack(names))
local hset = {}
for i = 1, #names do
  local change = changes[i]
  local value = base(stored[i])
  if value == nil then return {'SLOW', 'value'} end
  hset[#hset + 1] = names[i]
  if string.byte(change, 1) == 61 then
    hset[#hset + 1] = string.sub(change, 2)
  else
    hset[#hset + 1] = fmt(value + tonumber(change))
  end
end

-- Series cells: one HMGET per bucket hash before any write, one HSET per bucket hash after.
local buckets, bucket_order = {}, {}
for bucket, counter, delta in string.gmatch(ARGV[7], '([^\n]*)\n([^\n]*)\n([^\n]*)\n') do
  local cells = buckets[bucket]
  if not cells then
    cells = {counters = {}, deltas = {}}
    buckets[bucket] = cells
    bucket_order[#bucket_order + 1] = bucket
  end
  cells.counters[#cells.counters + 1] = counter
  cells.deltas[#cells.deltas + 1] = delta
end
for _, bucket in ipairs(bucket_order) do
  local cells = buckets[bucket]
  local sums = read_key('hash', 'HMGET', KEYS[6] .. bucket, unpack(cells.counters))
  cells.hset = {}
  for i = 1, #cells.counters do
    local value = base(sums[i])
    if value == nil then return {'SLOW', 'value'} end
    cells.hset[#cells.hset + 1] = cells.counters[i]
    cells.hset[#cells.hset + 1] = fmt(value + tonumber(cells.deltas[i]))
  end
end

local zadd = {}
for bucket, deadline in string.gmatch(ARGV[8], '([^\n]*)\n([^\n]*)\n') do
  zadd[#zadd + 1] = deadline
  zadd[#zadd + 1] = KEYS[6] .. bucket
end
if #zadd > 0 then require_type(KEYS[7], 'zset') end

-- Every command and key written below is checked against the user's ACL first (include/acl.lua).
local SCRIPT = 'apply_counters.lua'
--#include acl
local refusal = #hset > 0 and denied('HSET', KEYS[2], 'f', 'v')
for _, bucket in ipairs(bucket_order) do refusal = refusal or denied('HSET', KEYS[6] .. bucket, 'f', 'v') end
refusal = refusal or #zadd > 0 and denied('ZADD', KEYS[7], '1', 'm')
    or denied('HSET', KEYS[3], 'f', 'v') or denied('XACK', KEYS[1], GROUP, '0-1')
if refusal then return refusal end

if #hset > 0 then redis.call('HSET', KEYS[2], unpack(hset)) end
for _, bucket in ipairs(bucket_order) do
  redis.call('HSET', KEYS[6] .. bucket, unpack(buckets[bucket].hset))
end
if #zadd > 0 then redis.call('ZADD', KEYS[7], unpack(zadd)) end
redis.call('HSET', KEYS[3], 'ops', last)
redis.call('XACK', KEYS[1], GROUP, unpack(ids))
return {'OK', tostring(#ids), '0'}
