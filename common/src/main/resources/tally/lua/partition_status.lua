-- Read-only status of one partition, for lag metrics and `tally status`. Everything comes from Redis
-- (XINFO GROUPS, XPENDING, XLEN, the lease, the checkpoint), so it is right for partitions no live
-- processor owns.
-- KEYS: [1] ops stream, [2] events stream, [3] dlq stream, [4] lease, [5] checkpoint hash, [6] halt hash
-- ARGV: [1] consumer group
-- Returns strings: owner ('' when none), dlq length, Redis time (ms), then for ops and events each:
--   length, lag, lag_exact (1, or 0 when Redis cannot count and lag is the stream length, an upper
--   bound), pending, oldest pending id time (ms, -1 when none), last delivered id, checkpoint id;
--   then the halt hash's reason, since, detail and processor ('' each when the partition is not halted).
-- Any program may write these keys. One of another type makes the partition unreadable, not the call: the
-- reply is then {'UNREADABLE', owner, why} (three strings, where a readable partition's are 21), why naming each
-- such key and its type, so that a caller reading every partition in one pipeline reports the others. A lease
-- of another type reads as owned by '(<type>)', as lease.lua reads it, and is no reason by itself.
-- Any program may write the streams (XSETID ENTRIESADDED, ids up to 2^64 - 1 ms): counts are written as
-- whole decimals, never as tostring's exponent form (which it uses from 10^14), and cut at 2^63 - 1; an
-- oldest pending time past 2^53 ms (no clock's) is written as 2^53, ahead of Redis time like the id.
local LONG_MAX = '9223372036854775807'
local function count(n)
  if n >= 9223372036854775807 then return LONG_MAX end
  return string.format('%d', n)
end
local function pending_ms(id)
  local ms = string.match(id or '', '^(%d+)')
  if not ms then return -1 end
  if #ms > 16 or (#ms == 16 and ms > '9007199254740992') then return 9007199254740992 end
  return tonumber(ms)
end
local group = ARGV[1]
local owner = redis.pcall('GET', KEYS[4])
if type(owner) == 'table' and owner.err then
  owner = '(' .. redis.call('TYPE', KEYS[4]).ok .. ')'
end
owner = owner or ''
local expected = { 'stream', 'stream', 'stream', nil, 'hash', 'hash' }
local wrong = {}
for i = 1, #KEYS do
  if expected[i] then
    local kind = redis.call('TYPE', KEYS[i]).ok
    if kind ~= expected[i] and kind ~= 'none' then
      wrong[#wrong + 1] = KEYS[i] .. ' holds a ' .. kind .. ', not a ' .. expected[i]
    end
  end
end
if #wrong > 0 then
  return { 'UNREADABLE', owner, table.concat(wrong, '; ') }
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = { owner, count(redis.call('EXISTS', KEYS[3]) == 1 and redis.call('XLEN', KEYS[3]) or 0), count(now) }
local topics = { 'ops', 'events' }
for i = 1, 2 do
  local key = KEYS[i]
  local len, lag, exact, pending, oldest, delivered = 0, 0, 1, 0, -1, ''
  if redis.call('EXISTS', key) == 1 then
    len = redis.call('XLEN', key)
    lag = len
    local found = false
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
      local f = {}
      for j = 1, #g, 2 do f[g[j]] = g[j + 1] end
      if f['name'] == group then
        found = true
        pending = f['pending'] or 0
        delivered = f['last-delivered-id'] or ''
        if type(f['lag']) == 'number' then lag = f['lag'] else exact = 0 end
      end
    end
    if found and pending > 0 then
      oldest = pending_ms(redis.call('XPENDING', key, group)[2])
    end
  end
  local checkpoint = redis.call('HGET', KEYS[5], topics[i]) or ''
  out[#out + 1] = count(len)
  out[#out + 1] = count(lag)
  out[#out + 1] = tostring(exact)
  out[#out + 1] = count(pending)
  out[#out + 1] = string.format('%d', oldest)
  out[#out + 1] = delivered
  out[#out + 1] = checkpoint
end
local halt = redis.call('HMGET', KEYS[6], 'reason', 'since', 'detail', 'processor')
for i = 1, 4 do
  out[#out + 1] = halt[i] or ''
end
return out
