-- Replays one dead letter: re-appends its original entry to the source stream and deletes the dead
-- letter, in one script so the entry is neither lost nor doubled. The entry is the letter's 'f.*'
-- fields (prefix removed) or, for a letter of an entry with more than 1,000 fields ('truncated' =
-- its field count), 'raw': a MessagePack array of the whole flat field list.
-- KEYS[1] dlq stream   KEYS[2] source stream (same partition)
-- ARGV[1] dead-letter id   ARGV[2] expected source ('ops' | 'events')
-- Returns the new entry id, or '' when the dead letter no longer exists. Refused with an error reply,
-- writing nothing and keeping the letter: a letter marked 'applied' (its entry took effect before it
-- was moved here, as repair_stream_ids.lua does); one that cannot be replayed whole (truncated without
-- a readable 'raw', or an entry of more than MAX_FIELDS fields, more than one XADD can carry). The
-- XADD is the first write, so a source stream that cannot take an entry (another type, or its ids used
-- up) fails the script with Redis's error before anything is written.

-- XADD takes the entry through unpack: 3 + 2 * MAX_FIELDS values stay under Lua's limit (~8000)
local MAX_FIELDS = 3990

local function refuse(why)
  return redis.error_reply('dlq_replay: dead letter ' .. ARGV[1] .. ' ' .. why .. '; nothing was replayed and '
    .. 'the letter is kept')
end

-- The number of elements of the MessagePack array that raw starts with, or nil when it starts with none.
local function array_length(raw)
  local b = string.byte(raw, 1)
  if not b then return nil end
  if b >= 0x90 and b <= 0x9f then return b - 0x90 end
  if b == 0xdc and #raw >= 3 then return string.byte(raw, 2) * 256 + string.byte(raw, 3) end
  if b == 0xdd and #raw >= 5 then
    local n = 0
    for i = 2, 5 do n = n * 256 + string.byte(raw, i) end
    return n
  end
  return nil
end

-- The flat field list raw holds, or nil and why not. The length is read from the header first, so that
-- an entry too large to replay is never decoded.
local function decode_raw(raw)
  local n = array_length(raw)
  if not n or n % 2 ~= 0 then return nil, "has a 'raw' that is no list of field names and values" end
  if n > 2 * MAX_FIELDS then
    return nil, 'holds an entry of ' .. (n / 2) .. ' fields, more than the ' .. MAX_FIELDS .. ' one XADD can '
      .. 're-append (read its fields from \'raw\', a MessagePack array, and purge it)'
  end
  local ok, rest, list = pcall(cmsgpack.unpack_one, raw)
  if not ok or rest ~= -1 or type(list) ~= 'table' then
    return nil, "has a 'raw' that is no single MessagePack array"
  end
  for i = 1, n do
    if type(list[i]) ~= 'string' then return nil, "has a 'raw' whose element " .. i .. ' is not a string' end
  end
  return list
end

local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then
  return ''
end
local flat = found[1][2]
local source, applied, truncated, raw
local copied = {}
for i = 1, #flat, 2 do
  local name = flat[i]
  if name == 'source' then
    source = flat[i + 1]
  elseif name == 'applied' then
    applied = flat[i + 1] == '1'
  elseif name == 'truncated' then
    truncated = flat[i + 1]
  elseif name == 'raw' then
    raw = flat[i + 1]
  elseif string.sub(name, 1, 2) == 'f.' then
    copied[#copied + 1] = string.sub(name, 3)
    copied[#copied + 1] = flat[i + 1]
  end
end
if source ~= ARGV[2] then
  return redis.error_reply('dlq_replay: dead letter ' .. ARGV[1] .. ' has source ' .. tostring(source)
    .. ', expected ' .. ARGV[2])
end
if applied then
  return redis.error_reply('dlq_replay: dead letter ' .. ARGV[1] .. ' was applied before it was moved to the '
    .. 'dead letters; replaying it would apply it twice (purge it instead)')
end

local entry = copied
if raw then
  local list, why = decode_raw(raw)
  if not list then return refuse(why) end
  if truncated and truncated ~= tostring(#list / 2) then
    return refuse("has a 'truncated' that does not match the " .. (#list / 2) .. " fields of its 'raw'")
  end
  entry = list
elseif truncated then
  return refuse("is truncated and has no 'raw' with the whole entry")
elseif #copied > 2 * MAX_FIELDS then
  return refuse('holds an entry of ' .. (#copied / 2) .. ' fields, more than the ' .. MAX_FIELDS
    .. ' one XADD can re-append')
end
if #entry == 0 then
  return redis.error_reply('dlq_replay: dead letter ' .. ARGV[1] .. ' has no original f.* fields to replay')
end

-- The XDEL after the XADD is checked against the user's ACL before it (include/acl.lua): refused there, the
-- entry would be re-appended with its letter kept, and a retry would append it again.
local SCRIPT = 'dlq_replay.lua'
--#include acl
local refusal = denied('XDEL', KEYS[1], ARGV[1])
if refusal then
  return refusal
end
local id = redis.call('XADD', KEYS[2], '*', unpack(entry))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
