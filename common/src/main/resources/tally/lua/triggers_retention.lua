-- Deletes finished triggers (status fired or canceled) that finished more than the retention ago, on
-- Redis time, fenced by the lease: the definition, every state field, and any entry left in the
-- matching indexes or the schedule. One call looks at one HSCAN page of the triggers hash; the caller
-- keeps the cursor, so a full pass over a large hash spreads over several calls. Reads and checks
-- everything before its first write. Any program may write these keys: a finished trigger whose
-- definition does not decode, or names no event type or counter, is deleted without index clean-up; an
-- index or schedule of another type is left alone (a triggers key of another type: nothing to delete);
-- a ':count' HINCRBY would refuse is left as it is. A deleted trigger's share of ':time-rate' ('<id>:rate') is given
-- back, as a cancel gives it back. A head ('<id>:head') whose trigger has no status (deleted
-- by a version that stored no heads) is deleted too.
-- KEYS[1] lease   KEYS[2] triggers hash   KEYS[3] schedule zset   KEYS[4] by-event index
-- KEYS[5] by-counter index
-- ARGV[1] lease value   ARGV[2] retention ms   ARGV[3] HSCAN cursor   ARGV[4] HSCAN COUNT hint
-- Returns {'OK', next cursor ('0' when the pass is complete), triggers deleted} or {'LEASE_LOST'}.
--#include lease_fence
if not holds_lease(KEYS[1], ARGV[1]) then
  return {'LEASE_LOST'}
end
local STATE = {'status', 'fireCount', 'lastFiredAt', 'createdAt', 'canceledAt', 'armed', 'head', 'rate'}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cutoff = now - tonumber(ARGV[2])

local page = redis.pcall('HSCAN', KEYS[2], ARGV[3], 'COUNT', ARGV[4])
if page.err then
  return {'OK', '0', 0} -- a key of another type holds no trigger of Tally's
end
local flat = page[2]
local doomed, seen, heads = {}, {}, {}
for i = 1, #flat, 2 do
  local id = flat[i]
  local owner = string.match(id, '^([^:]+):head$')
  if owner and not seen[id] then
    seen[id] = true
    heads[#heads + 1] = owner
  end
  -- Definitions are the fields without ':' (state fields are '<id>:<name>').
  if not string.find(id, ':', 1, true) and not seen[id] then
    seen[id] = true
    local s = redis.call('HMGET', KEYS[2], id .. ':status', id .. ':lastFiredAt', id .. ':canceledAt',
      id .. ':createdAt', id .. ':rate')
    local finished_at = nil
    if s[1] == 'fired' then
      finished_at = tonumber(s[2] or s[4])
    elseif s[1] == 'canceled' then
      finished_at = tonumber(s[3] or s[4])
    end
    if finished_at and finished_at <= cutoff then
      local ok, d = pcall(cjson.decode, flat[i + 1])
      if not ok or type(d) ~= 'table' then d = {} end
      local index, name = nil, nil
      if d.kind == 'event' and type(d.eventType) == 'string' then
        index, name = KEYS[4], d.eventType
      elseif d.kind == 'threshold' and type(d.counter) == 'string' then
        index, name = KEYS[5], d.counter
      end
      doomed[#doomed + 1] = {id = id, index = index, name = name, share = s[5]}
    end
  end
end
local orphans = {}
for from = 1, #heads, 500 do
  local fields = {}
  for i = from, math.min(#heads, from + 499) do fields[#fields + 1] = heads[i] .. ':status' end
  local status = redis.call('HMGET', KEYS[2], unpack(fields))
  for i = from, math.min(#heads, from + 499) do
    if not status[i - from + 1] then orphans[#orphans + 1] = heads[i] .. ':head' end
  end
end
-- A write with the command and key of the deletions below: the first write, or allowed once that one ran.
local function delete_orphans()
  for from = 1, #orphans, 500 do
    redis.call('HDEL', KEYS[2], unpack(orphans, from, math.min(#orphans, from + 499)))
  end
end
if #doomed == 0 then
  delete_orphans()
  return {'OK', page[1], 0}
end
-- Index entries normally no longer list a finished trigger (cancel and the apply script prune them);
-- read the lists anyway so that a leftover never points at a deleted definition.
local scheduled = not redis.pcall('ZRANGE', KEYS[3], 0, 0).err
local count = redis.call('HGET', KEYS[2], ':count')
-- absent in a hash written before it was kept; HINCRBY refuses anything but an integer
local counted = count and (count == '0' or (#count <= 18 and string.match(count, '^%-?[1-9]%d*$') ~= nil))
-- A share of ':time-rate' a deleted trigger still holds (a cancel of an older version, which knows no shares,
-- finished it) is given back as trigger_cancel.lua gives it back: a share or a sum that is no count is left as it
-- is, and the sum never goes below 0. Left in the sum, it would refuse creates for good.
local rate_left = nil
local returned = 0
for _, d in ipairs(doomed) do
  if d.share and #d.share <= 10 and string.match(d.share, '^[1-9]%d*$') then
    returned = returned + tonumber(d.share)
  end
end
if returned > 0 then
  local sum = redis.call('HGET', KEYS[2], ':time-rate')
  if sum and (sum == '0' or (#sum <= 18 and string.match(sum, '^[1-9]%d*$'))) then
    rate_left = string.format('%.0f', math.max(0, tonumber(sum) - returned))
  end
end
local lists = {}
for _, d in ipairs(doomed) do
  if d.index then
    local k = d.index .. '\0' .. d.name
    if lists[k] == nil then
      -- false when absent or when the index holds another type (left alone)
      local value = redis.pcall('HGET', d.index, d.name)
      lists[k] = {index = d.index, name = d.name, value = type(value) == 'string' and value, drop = {}}
    end
    lists[k].drop[d.id] = true
  end
end

-- Every write below is checked against the user's ACL before the first (include/acl.lua): refused part-way,
-- triggers would be deleted with ':count' not lowered (no later pass finds them again) or left listed.
local SCRIPT = 'triggers_retention.lua'
--#include acl
local refusal = (scheduled and denied('ZREM', KEYS[3], doomed[1].id))
  or (counted and denied('HINCRBY', KEYS[2], ':count', '-1'))
  or (rate_left and denied('HSET', KEYS[2], ':time-rate', rate_left))
for _, l in pairs(lists) do
  refusal = refusal or (l.value and (denied('HDEL', l.index, l.name) or denied('HSET', l.index, l.name, 'v')))
end
if refusal then
  return refusal
end

-- writes
delete_orphans()
for _, d in ipairs(doomed) do
  local fields = {d.id}
  for _, s in ipairs(STATE) do fields[#fields + 1] = d.id .. ':' .. s end
  redis.call('HDEL', KEYS[2], unpack(fields))
  if scheduled then redis.call('ZREM', KEYS[3], d.id) end
end
-- the stored-trigger count the create script keeps
if counted then
  redis.call('HINCRBY', KEYS[2], ':count', -#doomed)
end
if rate_left then
  redis.call('HSET', KEYS[2], ':time-rate', rate_left)
end
for _, l in pairs(lists) do
  if l.value then
    local kept, changed = {}, false
    for other in string.gmatch(l.value, '%S+') do
      if l.drop[other] then changed = true else kept[#kept + 1] = other end
    end
    if changed then
      if #kept == 0 then
        redis.call('HDEL', l.index, l.name)
      else
        redis.call('HSET', l.index, l.name, table.concat(kept, ' '))
      end
    end
  end
end
return {'OK', page[1], #doomed}
