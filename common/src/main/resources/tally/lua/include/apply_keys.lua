-- ---------- the partition's keys, checked before the first write ----------
-- Any program may write a partition's keys, and Redis keeps what a script wrote before it raised: so an
-- apply script checks, before its first write, that every key it will write can take those writes. A
-- key of the partition itself that cannot (another type, a stream without ids left) refuses the call
-- with 'BADKEY <the key and why>': nothing is written, and the processor backs off and reports the
-- partition halted (redis_refused) with that text until someone repairs the key. A key that belongs to
-- one entry (its counter's HyperLogLog) makes that entry a dead letter instead (not_hll).

-- Refuses the call; raised only before the script's first write.
local function refuse(problem)
  error({err = 'BADKEY ' .. problem .. '; nothing was applied'})
end

local function key_type(key)
  return redis.call('TYPE', key)['ok']
end

-- Refuses the call when key holds something other than kind (a missing key is fine). One TYPE.
local function require_type(key, kind)
  local t = key_type(key)
  if t ~= 'none' and t ~= kind then refuse(key .. ' holds a ' .. t .. ', not a ' .. kind) end
end

-- A read of a key the script will later write: when the key's type makes the read fail, refuses the
-- call naming it; any other failure (the user may not run the command) is raised as Redis gave it.
-- Costs nothing over redis.call on the way that succeeds.
local function read_key(kind, command, key, ...)
  local reply = redis.pcall(command, key, ...)
  if type(reply) == 'table' and reply.err then
    if not string.find(reply.err, '^WRONGTYPE') then error(reply) end
    refuse(key .. ' holds a ' .. key_type(key) .. ', not a ' .. kind .. ' (' .. command .. ': ' .. reply.err .. ')')
  end
  return reply
end

-- The partition's checkpoint of source ('0-0' before its first entry). A field that holds no stream id (any
-- program may write it) refuses the call naming it: no entry is to blame for it.
local function read_checkpoint(key, source)
  local checkpoint = read_key('hash', 'HGET', key, source)
  if not checkpoint then return '0-0' end
  if not is_stream_id(checkpoint) then
    refuse(key .. ' field ' .. source .. " holds '" .. string.sub(checkpoint, 1, 60) .. "', not a stream id")
  end
  return checkpoint
end

-- Refuses the call when n more entries cannot be added to the stream at key with XADD '*'.
local function require_room(key, n)
  local problem = stream_room_problem(key, n)
  if problem then refuse(problem) end
end

-- Why PFADD to key would fail, or nil. Redis's PFADD takes a string 'HYLL' + encoding + 11 bytes, then
-- 16384 registers: dense, exactly 12288 bytes (any bytes are registers), or sparse, run-length opcodes
-- that must cover the registers exactly once (at most 2 bytes each). A sparse body is walked by PFCOUNT
-- of the key twice: one key may answer from the count cached in the header, two never do, and neither
-- writes. STRLEN, then GET of a string no longer than a valid one (12 KB dense), then PFCOUNT if sparse.
local HLL_MAX_BYTES = 16 + 2 * 16384
local function hll_problem(key)
  local len = redis.pcall('STRLEN', key)
  if type(len) == 'table' then
    -- only a key of another type is the entry's problem; anything else (an ACL denial) refuses the call
    if not string.find(len.err, '^WRONGTYPE') then error(len) end
    return key .. ' holds a ' .. key_type(key) .. ', not a HyperLogLog'
  end
  if len <= HLL_MAX_BYTES then
    local s = redis.call('GET', key)
    if not s then return nil end
    if #s >= 16 and string.sub(s, 1, 4) == 'HYLL' then
      local encoding = string.byte(s, 5)
      if encoding == 0 and #s == 16 + 12288 then return nil end
      if encoding == 1 then
        local n = redis.pcall('PFCOUNT', key, key)
        if type(n) ~= 'table' then return nil end
        if not (string.find(n.err, '^INVALIDOBJ') or string.find(n.err, '^WRONGTYPE')) then error(n) end
      end
    end
  end
  return key .. ' is not a valid HyperLogLog'
end
