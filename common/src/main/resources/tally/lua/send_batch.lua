-- Appends a producer's batch for one stream in one call, in order, so that a pipeline costs one
-- command per partition instead of one per entry. Entries with an operation id are idempotent: at
-- most one entry per id within the dedupe window (SET NX PX on its dedupe key, holding the entry id).
-- KEYS[1] stream   KEYS[2..] dedupe keys of the entries that have an id, in entry order
-- ARGV[1] dedupe window ms   ARGV[2] entry count
--   then per entry: number of field/value pairs k, 1 when it has a dedupe key else 0, 2k strings
-- Returns per entry: entry id, 1 when it is a duplicate (the original entry's id) else 0.
-- Kept for producers of the previous version during a rolling upgrade (docs/architecture.md), under
-- their ACL: it calls only XADD, XREVRANGE, GET and SET.
-- Everything is read and checked before the first XADD, so that the batch is appended whole or not at
-- all: a dedupe window SET PX would refuse, arguments that do not describe ARGV[2] entries and #KEYS - 1 dedupe keys, an entry of no field
-- or of more than MAX_FIELDS (XADD takes them through unpack, Lua's limit is about 8,000 values), a
-- dedupe key another program made another type, a stream of another type, a stream whose newest entry
-- leaves too few ids (an error reply each, nothing written). One case is beyond what this ACL can read:
-- a stream whose last id near the maximum belongs to a deleted entry may still fail part-way.
--#include ids
local MAX_FIELDS = 3990
local stream = KEYS[1]
local window = ARGV[1]
local call = redis.call

local function refuse(why)
  return redis.error_reply('ERR send_batch: ' .. why .. '; nothing was appended')
end

-- pass 1: the layout of ARGV, and the dedupe keys already held
if not (#window <= 15 and string.match(window, '^[1-9]%d*$')) then
  return refuse('dedupe window ' .. string.sub(window, 1, 40) .. ' is no whole number of ms from 1 to 10^15 - 1')
end
local count = tonumber(ARGV[2])
if not count or count < 0 or count % 1 ~= 0 then return refuse('entry count ' .. tostring(ARGV[2]) .. ' is no count') end
local entries, held, seen = {}, {}, {}
local at, dedupe, appends = 3, 2, 0
for n = 1, count do
  local k = tonumber(ARGV[at])
  if not k or k % 1 ~= 0 or k < 1 or k > MAX_FIELDS then
    return refuse('entry ' .. n .. ' has ' .. tostring(ARGV[at]) .. ' fields, not 1 to ' .. MAX_FIELDS)
  end
  local last = at + 1 + 2 * k
  if last > #ARGV or (ARGV[at + 1] ~= '0' and ARGV[at + 1] ~= '1') then
    return refuse('the arguments do not hold entry ' .. n)
  end
  local key
  if ARGV[at + 1] == '1' then
    key = KEYS[dedupe]
    if not key then return refuse('entry ' .. n .. ' has no dedupe key') end
    dedupe = dedupe + 1
    if not seen[key] then
      seen[key] = true
      local id = redis.pcall('GET', key)
      if type(id) == 'table' then return refuse('dedupe key ' .. key .. ': ' .. tostring(id.err)) end
      held[key] = id or nil
      if not id then appends = appends + 1 end
    end
  else
    appends = appends + 1
  end
  entries[n] = {from = at + 2, to = last, key = key}
  at = last + 1
end
if at - 1 ~= #ARGV or dedupe - 1 ~= #KEYS then
  return refuse((#ARGV - at + 1) .. ' arguments and ' .. (#KEYS - dedupe + 1) .. ' dedupe keys are left over')
end
if appends > 0 then
  local newest = redis.pcall('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  if type(newest) == 'table' and newest.err then return refuse(stream .. ': ' .. tostring(newest.err)) end
  if #newest > 0 then
    local full = id_room_problem(stream, newest[1][1], appends)
    if full then return refuse(full) end
  end
end

-- The SET of each dedupe key after its entry's XADD is checked against the user's ACL before the first XADD
-- (include/acl.lua): refused there, the entry would be written without its dedupe key and a retry would
-- write it again.
local SCRIPT = 'send_batch.lua'
--#include acl
for key in pairs(seen) do
  if not held[key] then
    local refusal = denied('SET', key, 'v', 'PX', window)
    if refusal then
      return refusal
    end
  end
end

-- pass 2: the writes
local out = {}
for n, e in ipairs(entries) do
  local id
  local duplicate = 0
  if e.key and held[e.key] then
    id = held[e.key]
    duplicate = 1
  else
    id = call('XADD', stream, '*', unpack(ARGV, e.from, e.to))
    if e.key then
      call('SET', e.key, id, 'PX', window)
      held[e.key] = id
    end
  end
  out[2 * n - 1] = id
  out[2 * n] = duplicate
end
return out
