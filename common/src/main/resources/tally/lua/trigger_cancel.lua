-- Cancels an active trigger atomically: status, canceledAt, and its removal from the matching index
-- and the schedule (and of its head and armed flag, which only matching reads); a repeating time trigger also
-- gives back its share of the triggers hash's ':time-rate' (see trigger_create.lua). Reads and checks everything
-- before its first write.
-- KEYS[1] triggers hash   KEYS[2] schedule zset   KEYS[3] by-event index   KEYS[4] by-counter index
-- ARGV[1] id
-- Returns {'OK', canceledAt} or {'NOT_FOUND'} or {'NOT_ACTIVE', status}.
local id = ARGV[1]
local st = redis.call('HMGET', KEYS[1], id, id .. ':status', id .. ':rate')
if not st[1] then
  return {'NOT_FOUND'}
end
if st[2] ~= 'active' then
  return {'NOT_ACTIVE', st[2] or ''}
end
-- A definition that does not decode (written by someone else) has no index entry to drop.
local ok, def = pcall(cjson.decode, st[1])
if not ok or type(def) ~= 'table' then def = {} end
local index, field = nil, nil
if def.kind == 'event' and type(def.eventType) == 'string' then
  index, field = KEYS[3], def.eventType
elseif def.kind == 'threshold' and type(def.counter) == 'string' then
  index, field = KEYS[4], def.counter
end
-- An index or schedule of another type (written by someone else) cannot list the trigger: it is left alone.
local list = index and redis.pcall('HGET', index, field) or nil
if type(list) ~= 'string' then list = nil end -- absent, or an error reply
local scheduled = def.kind == 'time' and not redis.pcall('ZRANGE', KEYS[2], 0, 0).err
-- The share of ':time-rate' the create added, as it stored it in '<id>:rate' (a trigger created before shares were
-- kept has none, and gives nothing back). A share or a ':time-rate' that is no count (written by someone else) is
-- left as it is, and a share never takes the sum below 0.
local rate_left = nil
local share = st[3]
if share and #share <= 10 and string.match(share, '^[1-9]%d*$') then
  local sum = redis.call('HGET', KEYS[1], ':time-rate')
  if sum and (sum == '0' or (#sum <= 18 and string.match(sum, '^[1-9]%d*$'))) then
    rate_left = string.format('%.0f', math.max(0, tonumber(sum) - tonumber(share)))
  end
end
local t = redis.call('TIME')
local now = tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))

-- The writes after the first HSET are checked against the user's ACL before it (include/acl.lua): one refused
-- there would leave a canceled trigger still listed in its index or schedule (matched, or fired, later).
local SCRIPT = 'trigger_cancel.lua'
--#include acl
local refusal = denied('HDEL', KEYS[1], id .. ':armed')
  or (list and (denied('HDEL', index, field) or denied('HSET', index, field, id)))
  or (scheduled and denied('ZREM', KEYS[2], id))
if refusal then
  return refusal
end

-- writes
if rate_left then
  redis.call('HSET', KEYS[1], id .. ':status', 'canceled', id .. ':canceledAt', now, ':time-rate', rate_left)
else
  redis.call('HSET', KEYS[1], id .. ':status', 'canceled', id .. ':canceledAt', now)
end
redis.call('HDEL', KEYS[1], id .. ':armed', id .. ':head', id .. ':rate')
if list then
  local kept = {}
  for other in string.gmatch(list, '%S+') do
    if other ~= id then kept[#kept + 1] = other end
  end
  if #kept == 0 then
    redis.call('HDEL', index, field)
  else
    redis.call('HSET', index, field, table.concat(kept, ' '))
  end
end
if scheduled then
  redis.call('ZREM', KEYS[2], id)
end
return {'OK', now}
