-- Fires the due time triggers of one partition, fenced by the lease, on Redis time.
-- A repeating trigger is rescheduled on its grid (next = at + k*every, no drift). After an outage the
-- periods that passed are merged into one firing: cause = the newest due time (<= now), missed = the
-- number of earlier due times not yet fired folded into it; then the next due time > now.
-- KEYS[1] lease   KEYS[2] schedule zset   KEYS[3] triggers hash   KEYS[4] firings stream
-- ARGV[1] lease value   ARGV[2] most triggers to fire in this call
-- Returns {'LEASE_LOST'}, {'OK', fired count, lateness ms of each firing...} or {'BLOCKED', why}; 'MORE'
-- in place of 'OK' when the call took ARGV[2] due entries (fired or dropped), so more may be due now.
-- Everything is read and checked before the first write. A stored definition that is not one the
-- trigger API writes (broken JSON, a kind other than 'time', a period that is not a finite number >= 1 ms,
-- a due time that is not a finite number >= 0) is taken off the schedule without firing; a firing carries at most
-- MAX_PARAMS parameters; a fireCount that is not a canonical integer in [0, 2^53) counts as 0 (firing.lua).
-- BLOCKED: the schedule or the triggers hash holds another type, or the firings stream cannot take the
-- firings (another type, or its ids used up): nothing is written, every due trigger stays scheduled
-- and fires once the key is repaired.
--#include lease_fence
if not holds_lease(KEYS[1], ARGV[1]) then
  return {'LEASE_LOST'}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.pcall('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
if due.err then
  return {'BLOCKED', KEYS[2] .. ': ' .. due.err}
end
if #due == 0 then
  return {'OK', '0'}
end

local MAX_PARAMS = 100 -- WireFormat.MAX_PARAMS

--#include ids
--#include firing

local function finite(n) return n ~= nil and n == n and n > -math.huge and n < math.huge end

-- The definition as this script uses it, or nil when it cannot be fired.
local function definition(json, score)
  if not json or not finite(score) or score < 0 then return nil end
  local ok, d = pcall(cjson.decode, json)
  -- an event or threshold trigger listed here by someone else: firing it would finish it as a time trigger
  if not ok or type(d) ~= 'table' or d.kind ~= 'time' then return nil end
  local every = nil
  if d.every ~= nil and d.every ~= cjson.null then
    every = tonumber(d.every)
    if not finite(every) or every < 1 then return nil end
  end
  return {every = every, params = type(d.params) == 'table' and d.params or nil}
end

-- reads
local items, firings = {}, 0
for i = 1, #due, 2 do
  local id = due[i]
  local st = redis.pcall('HMGET', KEYS[3], id, id .. ':status', id .. ':fireCount')
  if st.err then
    return {'BLOCKED', KEYS[3] .. ': ' .. st.err}
  end
  local score = tonumber(due[i + 1])
  local item = {id = id, score = score, def = st[2] == 'active' and definition(st[1], score) or nil}
  if item.def then
    item.count = fmt(stored_fire_count(st[3]) + 1)
    firings = firings + 1
  end
  items[#items + 1] = item
end
if firings > 0 then
  local problem = stream_room_problem(KEYS[4], firings)
  if problem then
    return {'BLOCKED', problem}
  end
end

-- Every write the loop below makes is checked against the user's ACL before the first (include/acl.lua):
-- one refused part-way would leave a trigger taken off the schedule without firing, or fired without its
-- state saved (a repeating one then fires that period again once the command is granted).
local SCRIPT = 'time_fire.lua'
--#include acl
local reschedules, removes = false, false
for _, it in ipairs(items) do
  if it.def and it.def.every then reschedules = true else removes = true end
end
local refusal = (removes and denied('ZREM', KEYS[2], items[1].id))
  or (reschedules and denied('ZADD', KEYS[2], '0', items[1].id))
  or (firings > 0 and (denied('XADD', KEYS[4], '*', 'firing_id', 'x') or denied('HSET', KEYS[3], 'f', 'v')))
if refusal then
  return refusal
end

-- writes
local out = {'OK', '0'}
local fired = 0
for _, it in ipairs(items) do
  if not it.def then
    redis.call('ZREM', KEYS[2], it.id) -- stale entry of a deleted or finished trigger, or a broken one
  else
    local d = it.def
    local missed, last_due = 0, it.score
    local every = d.every
    local state = {it.id .. ':fireCount', it.count, it.id .. ':lastFiredAt', fmt(now)}
    if every then
      missed = math.floor((now - it.score) / every)
      last_due = it.score + missed * every
      redis.call('ZADD', KEYS[2], fmt(last_due + every), it.id)
    else
      redis.call('ZREM', KEYS[2], it.id)
      state[#state + 1] = it.id .. ':status'
      state[#state + 1] = 'fired'
    end
    -- the newest due time the firing stands for (the missed ones lie before it): after a rollback the
    -- firing made again from an older state stands for later times too, and so gets an id of its own
    local cause = fmt(last_due)
    redis.call(unpack(firing_args(KEYS[4], it.id, 'time', cause, fmt(now), {'missed', fmt(missed)},
      d.params, MAX_PARAMS)))
    redis.call('HSET', KEYS[3], unpack(state))
    fired = fired + 1
    out[#out + 1] = fmt(now - last_due)
  end
end
out[2] = tostring(fired)
if #due / 2 >= tonumber(ARGV[2]) then
  out[1] = 'MORE' -- entries that fire nothing count too: a schedule full of them must not hide due triggers
end
return out
