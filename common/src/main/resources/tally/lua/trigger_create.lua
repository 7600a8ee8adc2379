-- Creates a trigger atomically on its partition: definition, state fields, matching index and
-- schedule together. The caller validated the definition; this script reads everything (existing id,
-- counter value, Redis time) before its first write.
-- KEYS[1] triggers hash   KEYS[2] schedule zset   KEYS[3] by-event index   KEYS[4] by-counter index
-- KEYS[5] counters hash
-- ARGV[1] id   ARGV[2] kind   ARGV[3] stored definition JSON   ARGV[4] event type or counter ('' for time)
-- ARGV[5] threshold op   ARGV[6] threshold value   ARGV[7] at (ms)   ARGV[8] every (ms, '' when once)
-- ARGV[9] most active triggers on one routing key
-- ARGV[10] head: the stored definition without params, for event and threshold triggers ('' or absent: none);
--   stored as field '<id>:head', which apply.lua decodes instead of the definition
-- Returns {'OK', createdAt, armed ('1'|'0'|''), due ms ('' unless time)}, {'EXISTS'}, or
-- {'LIMIT', active triggers on the routing key} when the routing key already has ARGV[9].
-- The triggers hash keeps the number of triggers it stores in field ':count' (a ':' keeps it apart from
-- the definitions); retention lowers it when it deletes finished triggers. It keeps in field ':time-rate' the
-- firings a second its active repeating time triggers add, in millionths (1e9 / every, rounded up, each, and kept
-- in '<id>:rate'): the client checks max-time-firings-per-second against the partitions' sum, trigger_cancel.lua
-- gives a trigger's stored share back, and the processor's time_rate_backfill.lua adds the share of a trigger an
-- older version stored without one.
-- Any program may write these keys: a counter value that is not a number counts as 0; a schedule that
-- is not a sorted set, a ':count' that is not an integer of at most 18 characters, or (for a repeating time
-- trigger) a ':time-rate' that is not a non-negative one, is an error reply and nothing is written.
local id, kind = ARGV[1], ARGV[2]
if redis.call('HEXISTS', KEYS[1], id) == 1 then
  return {'EXISTS'}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local armed, due = '', ''
local index, index_list = nil, nil
if kind == 'threshold' then
  local v = tonumber(redis.call('HGET', KEYS[5], ARGV[4]) or '0') or 0
  local limit = tonumber(ARGV[6])
  local holds = (ARGV[5] == '>=' and v >= limit) or (ARGV[5] == '<=' and v <= limit)
  -- Armed only if the condition is false now: a trigger created above the line waits for a crossing.
  armed = holds and '0' or '1'
  index = KEYS[4]
elseif kind == 'event' then
  index = KEYS[3]
else
  local at = tonumber(ARGV[7])
  if ARGV[8] ~= '' and at < now then
    -- A repeating trigger that starts in the past begins at its next period, on the at + k*every grid.
    local every = tonumber(ARGV[8])
    at = at + math.ceil((now - at) / every) * every
  end
  due = string.format('%.0f', at)
  if redis.pcall('ZRANGE', KEYS[2], 0, 0).err then
    return redis.error_reply('trigger_create: ' .. KEYS[2] .. ' holds no sorted set; nothing was written (only '
      .. 'Tally writes the schedule: delete the key, then create the time triggers again)')
  end
end
if index then
  index_list = redis.call('HGET', index, ARGV[4])
  if index_list then
    -- the index lists the key's active triggers (finished ones are pruned as they finish)
    local _, listed = string.gsub(index_list, '%S+', '')
    if listed >= tonumber(ARGV[9]) then return {'LIMIT', tostring(listed)} end
  end
end

-- a ':count' that HINCRBY would refuse is refused here, so that no write fails after the definition's
local count = redis.call('HGET', KEYS[1], ':count')
if count and count ~= '0' and not (#count <= 18 and string.match(count, '^%-?[1-9]%d*$')) then
  return redis.error_reply('trigger_create: ' .. KEYS[1] .. " field ':count' holds no count of triggers; nothing "
    .. 'was written (set it to the number of triggers the hash stores)')
end
local rate = ''
if kind == 'time' and ARGV[8] ~= '' then
  rate = string.format('%.0f', math.ceil(1e9 / tonumber(ARGV[8])))
  local sum = redis.call('HGET', KEYS[1], ':time-rate')
  if sum and sum ~= '0' and not (#sum <= 18 and string.match(sum, '^[1-9]%d*$')) then
    return redis.error_reply('trigger_create: ' .. KEYS[1] .. " field ':time-rate' holds no rate of firings; "
      .. 'nothing was written (set it to the sum of 1e9 / every over the active repeating time triggers the hash '
      .. 'stores, or delete it)')
  end
end

-- The writes after the first HSET are checked against the user's ACL before it (include/acl.lua): one refused
-- there would leave a trigger half-created (no count, index or schedule entry) that a retry answers EXISTS.
local SCRIPT = 'trigger_create.lua'
--#include acl
local refusal = denied('HINCRBY', KEYS[1], ':count', '1')
  or (index and denied('HSET', index, ARGV[4], id))
  or (due ~= '' and denied('ZADD', KEYS[2], due, id))
if refusal then
  return refusal
end

-- writes
local fields = {id, ARGV[3], id .. ':status', 'active', id .. ':fireCount', '0', id .. ':createdAt', tostring(now)}
if armed ~= '' then
  fields[#fields + 1] = id .. ':armed'
  fields[#fields + 1] = armed
end
if rate ~= '' then
  fields[#fields + 1] = id .. ':rate' -- what a cancel gives back
  fields[#fields + 1] = rate
end
if index and ARGV[10] and ARGV[10] ~= '' then
  fields[#fields + 1] = id .. ':head'
  fields[#fields + 1] = ARGV[10]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('HINCRBY', KEYS[1], ':count', 1)
if rate ~= '' then
  redis.call('HINCRBY', KEYS[1], ':time-rate', rate) -- the ACL check of HINCRBY on KEYS[1] above covers it
end
if index then
  redis.call('HSET', index, ARGV[4], index_list and (index_list .. ' ' .. id) or id)
end
if due ~= '' then
  redis.call('ZADD', KEYS[2], due, id)
end
return {'OK', tostring(now), armed, due}
