-- Claims firings left pending longer than min-idle (a dead consumer's, or this consumer's own failed
-- ones) for this consumer, and moves those already delivered more than max-deliveries times to the
-- firings dead-letter stream (acknowledged there, so they leave the pending list), with the last
-- handler error a consumer recorded for it in the errors hash (field '<entry id> <group>').
-- KEYS[1] firings stream   KEYS[2] firings dead-letter stream   KEYS[3] firings errors hash
-- ARGV[1] group   ARGV[2] consumer   ARGV[3] min idle ms   ARGV[4] max deliveries   ARGV[5] count
-- ARGV[6] cursor   ARGV[7] most fields of a firing copied into its dead letter
-- Returns {next cursor, dead-lettered count, deleted count, blocked, id1, {fields...}, deliveries1, id2, ...}:
-- blocked is '' or why the dead-letter stream cannot take entries now. A firings key of another type
-- has nothing to claim ({'0-0', 0, 0, ''}); a missing stream or group is Redis's NOGROUP error.
-- XAUTOCLAIM is a write, so every later write is made unable to fail before it: the dead-letter stream
-- must be a stream with ids to spare (else the firings due for it stay pending, claimed but not
-- delivered, until it is repaired), an errors hash of another type is neither read nor cleaned, and a
-- dead letter copies at most ARGV[7] fields of an entry (any program may XADD thousands), saying how
-- many it dropped in 'fields_dropped'.

--#include ids

local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'stream' and kind ~= 'none' then
  return {'0-0', 0, 0, ''} -- nothing of Tally's to claim; firings_read.lua reports the key
end
local count = tonumber(ARGV[5])
local blocked = stream_room_problem(KEYS[2], count) or ''
local errors_kind = redis.call('TYPE', KEYS[3])['ok']
local errors_readable = errors_kind == 'hash' or errors_kind == 'none'

-- XAUTOCLAIM is the first write; what may follow it is checked against the user's ACL before it
-- (include/acl.lua): a dead letter written and its firing not acknowledged would be dead-lettered again by
-- every retry. At most three checks on a call made once per claim interval.
local SCRIPT = 'firings_claim.lua'
--#include acl
local refusal
if blocked == '' then
  refusal = denied('XADD', KEYS[2], '*', 'source_id', '0-1') or denied('XACK', KEYS[1], ARGV[1], '0-1')
    or (errors_readable and denied('HDEL', KEYS[3], 'f'))
else
  refusal = denied('XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0', '0-1', 'RETRYCOUNT', '0', 'JUSTID')
end
if refusal then
  return refusal
end

local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[6], 'COUNT', count)
local entries = r[2]
local out = {r[1], 0, #(r[3] or {}), blocked}
if #entries == 0 then
  return out
end
-- each claimed entry's delivery count, one XPENDING per id: a range from the first to the last would
-- also list this consumer's other pending entries between them, as many as XAUTOCLAIM skipped (up to
-- ten times COUNT), and a count cut off there would make a poison firing look new forever
local deliveries = {}
for _, e in ipairs(entries) do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1, ARGV[2])[1]
  if p then deliveries[e[1]] = p[4] end
end

local max = tonumber(ARGV[4])
local max_fields = tonumber(ARGV[7])
local NO_ERROR = errors_readable and 'no error recorded (the handler did not return: consumer died or was closed)'
  or 'no error recorded (' .. KEYS[3] .. ' holds a ' .. errors_kind .. ', not a hash)'
local errors = {}
for _, e in ipairs(entries) do
  if (deliveries[e[1]] or 1) > max and blocked == '' then
    errors[e[1]] = errors_readable and redis.call('HGET', KEYS[3], e[1] .. ' ' .. ARGV[1]) or NO_ERROR
  end
end

-- writes
local dead = 0
for _, e in ipairs(entries) do
  local id, flat, n = e[1], e[2], deliveries[e[1]] or 1
  if n > max then
    if blocked == '' then
      local args = {'XADD', KEYS[2], '*', 'source_id', id, 'group', ARGV[1], 'deliveries', tostring(n - 1),
        'error', errors[id]}
      local copied = math.min(#flat / 2, max_fields)
      for i = 1, copied * 2, 2 do
        args[#args + 1] = 'f.' .. flat[i]
        args[#args + 1] = flat[i + 1]
      end
      if copied < #flat / 2 then
        args[#args + 1] = 'fields_dropped'
        args[#args + 1] = tostring(#flat / 2 - copied)
      end
      redis.call(unpack(args))
      redis.call('XACK', KEYS[1], ARGV[1], id)
      if errors_readable then
        redis.call('HDEL', KEYS[3], id .. ' ' .. ARGV[1])
      end
      dead = dead + 1
    else
      -- kept pending for the repair: this claim delivered nothing, so it must not count as a delivery
      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'RETRYCOUNT', n - 1, 'JUSTID')
    end
  else
    out[#out + 1] = id
    out[#out + 1] = flat
    out[#out + 1] = n
  end
end
out[2] = dead
return out
