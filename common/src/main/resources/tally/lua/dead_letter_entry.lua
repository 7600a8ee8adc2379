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
-- The dead letter has the shape apply.lua's have (include/dead_letter.lua).

local GROUP = 'tally'
local MAX_FIELDS = 1000

--#include lease_fence
if not holds_lease(KEYS[3], ARGV[1]) then
  return {'LEASE_LOST'}
end

local read = redis.call('XREADGROUP', 'GROUP', GROUP, ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], ARGV[4])
local entries = read and read[1] and read[1][2] or {}
if #entries == 0 then
  return {'NONE'}
end
local id, flat = entries[1][1], entries[1][2]

--#include ids
--#include dead_letter

local checkpoint = redis.call('HGET', KEYS[2], ARGV[3]) or '0-0'
if not is_stream_id(checkpoint) then
  return redis.error_reply('BADKEY ' .. KEYS[2] .. ' field ' .. ARGV[3] .. " holds '" .. string.sub(checkpoint, 1, 60)
      .. "', not a stream id; nothing was applied")
end
if not flat or not id_after(id, checkpoint) then
  redis.call('XACK', KEYS[1], GROUP, id)
  return {'ACKED', id}
end
local nxt = redis.call('XRANGE', KEYS[1], '(' .. checkpoint, '+', 'COUNT', 1)
if #nxt == 0 or nxt[1][1] ~= id then
  return {'GAP', id}
end

-- The dlq's XADD is the first write; a dlq of another type or without ids left refuses the call as
-- apply.lua does (BADKEY: Redis's or the operator's to fix, not the entry's), not as a script error.
local full = stream_room_problem(KEYS[4], 1)
if full then
  return redis.error_reply('BADKEY ' .. full .. '; nothing was applied')
end
-- The checkpoint's HSET and the XACK after the dead letter's XADD are checked against the user's ACL before
-- it (include/acl.lua): refused there, the entry would be dead-lettered again by the retry.
local SCRIPT = 'dead_letter_entry.lua'
--#include acl
local refusal = denied('HSET', KEYS[2], ARGV[3], id)
  or denied('XACK', KEYS[1], GROUP, id)
if refusal then
  return refusal
end
redis.call(unpack(dead_letter_args(KEYS[4], 'script_error', ARGV[5], ARGV[3], id, flat, MAX_FIELDS)))
redis.call('HSET', KEYS[2], ARGV[3], id)
redis.call('XACK', KEYS[1], GROUP, id)
return {'DEAD', id}
