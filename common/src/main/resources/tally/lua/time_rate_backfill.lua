-- Counts in the triggers hash's ':time-rate' the active repeating time triggers stored without a share
-- ('<id>:rate'): those a version before shares were kept created (or restored), which the create script's cap
-- check (max-time-firings-per-second) would otherwise never see. Each gets its share as trigger_create.lua
-- computes it (1e9 / every in millionths, rounded up), stored in '<id>:rate' so that trigger_cancel.lua gives it
-- back, and added to ':time-rate', all in one call, so that a trigger gets a share once: a later call, a create
-- or a cancel finds the share stored. Active triggers that add no firings (event, threshold, once) get a share of
-- 0, so that later passes never read their definitions again; finished ones (fired, canceled) get none; a finished
-- trigger that still holds a share that is a count (a cancel of an older version, which knows no shares,
-- finished it) gives it back as trigger_cancel.lua would have (':time-rate' never below 0) and loses it.
-- One call looks at one HSCAN page of the hash, fenced by the lease; the caller keeps the cursor, so a pass
-- over a large hash spreads over several calls, and passes repeat (a client of an older version may still
-- create triggers without a share). Reads and checks everything before its first write: for an active trigger
-- without a share, a definition that is no JSON object with a 'kind', or a time trigger's 'every' that is no
-- whole number of ms from 1 to 2^53; when the sum changes, a ':time-rate' that is not a non-negative integer of
-- at most 18 characters: an error reply naming the field, nothing written.
-- A triggers key of another type holds no trigger of Tally's: nothing to count.
-- KEYS[1] lease   KEYS[2] triggers hash
-- ARGV[1] lease value   ARGV[2] HSCAN cursor   ARGV[3] HSCAN COUNT hint (1 to 10000)
-- Returns {'OK', next cursor ('0' when the pass is complete), triggers given a share, shares given back} or
-- {'LEASE_LOST'}.
--#include lease_fence
if not holds_lease(KEYS[1], ARGV[1]) then
  return {'LEASE_LOST'}
end
local hint = tonumber(ARGV[3])
if not hint or hint < 1 or hint > 10000 or hint % 1 ~= 0 then
  return redis.error_reply('time_rate_backfill: HSCAN COUNT must be a whole number from 1 to 10000; nothing was '
    .. 'written')
end

-- Only the status fields: a page never carries definitions (up to 64 KiB each), and reads one only for a trigger
-- that needs a share, which after the first pass is none.
local page = redis.pcall('HSCAN', KEYS[2], ARGV[2], 'MATCH', '*:status', 'COUNT', hint)
if page.err then
  return {'OK', '0', 0, 0}
end
local flat = page[2]
-- A trigger's fields are its definition '<id>' (no ':' in an id) and its state '<id>:<name>'; HSCAN may return a
-- field twice.
local ids, statuses, seen = {}, {}, {}
for i = 1, #flat, 2 do
  local id = string.sub(flat[i], 1, -8)
  if not string.find(id, ':', 1, true) and id ~= '' and not seen[id] then
    seen[id] = true
    ids[#ids + 1] = id
    statuses[#statuses + 1] = flat[i + 1]
  end
end

-- A field name as an error may show it: printable, at most 100 bytes.
local function shown(name)
  return (string.gsub(string.sub(name, 1, 100), '[^%w%p ]', '?'))
end
local function refuse(field, what)
  return redis.error_reply('time_rate_backfill: ' .. KEYS[2] .. " field '" .. shown(field) .. "' " .. what
    .. '; nothing was written')
end

local shares, stale = {}, {}
local added, returned, given = 0, 0, 0
for from = 1, #ids, 250 do
  local to = math.min(#ids, from + 249)
  local fields = {}
  for i = from, to do
    fields[#fields + 1] = ids[i] .. ':rate'
  end
  local rates = redis.call('HMGET', KEYS[2], unpack(fields))
  for i = from, to do
    local status, share = statuses[i], rates[i - from + 1]
    local definition = status == 'active' and not share and redis.call('HGET', KEYS[2], ids[i])
    if definition then -- (a status without a definition is no trigger: nothing to count)
      local ok, d = pcall(cjson.decode, definition)
      if not ok or type(d) ~= 'table' or type(d.kind) ~= 'string' then
        return refuse(ids[i], 'holds no trigger definition (a program other than Tally wrote it): cancel the trigger '
          .. '(a cancel reads only its status) or delete its fields')
      end
      local every = d.every
      if d.kind == 'time' and every ~= nil and every ~= cjson.null then
        if type(every) ~= 'number' or every ~= every or every < 1 or every > 9007199254740992 or every % 1 ~= 0 then
          return refuse(ids[i], "holds a time trigger whose 'every' is no whole number of ms from 1 to 2^53 (a "
            .. 'program other than Tally wrote it): cancel the trigger or delete its fields')
        end
        local rate = math.ceil(1e9 / every)
        shares[#shares + 1] = ids[i] .. ':rate'
        shares[#shares + 1] = string.format('%.0f', rate)
        added = added + rate
        given = given + 1
      else
        -- a share of 0 (event, threshold and once triggers add no firings a second): later passes then find a share
        -- stored and never read this definition again
        shares[#shares + 1] = ids[i] .. ':rate'
        shares[#shares + 1] = '0'
      end
    elseif status ~= 'active' and share and #share <= 10 and string.match(share, '^[1-9]%d*$') then
      -- finished with its share still counted: a cancel of an older version, which knows no shares, finished it
      -- after this script or a create gave it one. Given back as trigger_cancel.lua would have (a share that is no
      -- count stays, as there).
      stale[#stale + 1] = ids[i] .. ':rate'
      returned = returned + tonumber(share)
    end
  end
end
if #shares == 0 and #stale == 0 then
  return {'OK', page[1], 0, 0}
end
local change = 0
if added > 0 or returned > 0 then
  local sum = redis.call('HGET', KEYS[2], ':time-rate')
  if sum and sum ~= '0' and not (#sum <= 18 and string.match(sum, '^[1-9]%d*$')) then
    return refuse(':time-rate', 'holds no rate of firings (set it to the sum of 1e9 / every over the active '
      .. 'repeating time triggers the hash stores, or delete it)')
  end
  -- never below 0; exact, since a sum past 2^53 is far above anything one page gives back
  change = added - returned
  if change < 0 and tonumber(sum or '0') + change < 0 then
    change = -tonumber(sum or '0')
  end
end

-- The writes after the first are checked against the user's ACL before it (include/acl.lua): refused part-way,
-- shares would be stored and never added (no later call would add them), or deleted and never given back.
local SCRIPT = 'time_rate_backfill.lua'
--#include acl
local refusal = (change ~= 0 and denied('HINCRBY', KEYS[2], ':time-rate', '1'))
  or (#shares > 0 and denied('HSET', KEYS[2], shares[1], shares[2]))
  or (#stale > 0 and denied('HDEL', KEYS[2], stale[1]))
if refusal then
  return refusal
end

-- writes
for from = 1, #shares, 500 do
  redis.call('HSET', KEYS[2], unpack(shares, from, math.min(#shares, from + 499)))
end
for from = 1, #stale, 500 do
  redis.call('HDEL', KEYS[2], unpack(stale, from, math.min(#stale, from + 499)))
end
if change ~= 0 then
  redis.call('HINCRBY', KEYS[2], ':time-rate', string.format('%.0f', change))
end
return {'OK', page[1], given, #stale}
