-- Appends a producer's batch for one stream in one call, in order; the successor of send_batch.lua
-- with far fewer arguments, since every argument costs CPU on both sides (the client's encoding,
-- Redis's parsing). Consecutive entries that have the same field names form a run, which names its
-- fields once and carries all its values in one MessagePack array (unpacked here in C by cmsgpack).
-- Entries with an operation id are idempotent: at most one entry per id within the dedupe window
-- (SET NX PX on its dedupe key, holding the entry id). The first entry this call adds gets its id from
-- XADD '*' (its dedupe key checked with GET before and set after); every later one gets the next id
-- explicitly (same millisecond, next sequence number: always above the stream's top, which is this
-- call's own previous entry), so its dedupe key is set to that id with one SET NX PX GET before its
-- XADD: a nil reply means new, anything else is the original entry's id.
-- KEYS[1] stream   KEYS[2..] dedupe keys of the entries that have an id, in entry order
-- ARGV[1] dedupe window ms, then runs: n entries, k fields, 1 when the run's entries have a dedupe
--   key else 0, the k field names, then a MessagePack array of the n x k values, entry by entry
-- Returns the entry id of every entry in order (the original entry's id for a duplicate), then the
-- 1-based positions of the duplicates.
local stream = KEYS[1]
local window = ARGV[1]
local call = redis.call
local out = {}
local duplicates = {}
local entries = 0
local dedupe = 2
local at = 2
local last = #ARGV
-- the id of the last entry this call added: later entries get the next one explicitly
local top_ms, top_seq = nil, nil
-- XADD; should it fail after SET NX claimed the entry's dedupe key, the key goes too, so that a
-- dedupe key always names an entry that exists (scripts do not roll back)
local function xadd(claimed, ...)
  local r = redis.pcall('XADD', ...)
  if type(r) == 'table' and r.err then
    if claimed then call('DEL', claimed) end
    error(r)
  end
  return r
end
while at <= last do
  local n = tonumber(ARGV[at])
  local k = tonumber(ARGV[at + 1])
  local idempotent = ARGV[at + 2] == '1'
  local names = at + 3
  local f1, f2, f3, f4, f5 = ARGV[names], ARGV[names + 1], ARGV[names + 2], ARGV[names + 3], ARGV[names + 4]
  local values = cmsgpack.unpack(ARGV[names + k])
  local v = 1
  for _ = 1, n do
    local id = false
    local key
    if idempotent then
      key = KEYS[dedupe]
      dedupe = dedupe + 1
    end
    local next_id = top_ms and (top_ms .. '-' .. (top_seq + 1)) or '*'
    if key then
      if top_ms then
        id = call('SET', key, next_id, 'NX', 'PX', window, 'GET')
      else
        id = call('GET', key)
      end
    end
    entries = entries + 1
    if id then
      duplicates[#duplicates + 1] = entries
    else
      local claimed = top_ms and key
      if k == 4 then
        id = xadd(claimed, stream, next_id, f1, values[v], f2, values[v + 1], f3, values[v + 2], f4, values[v + 3])
      elseif k == 5 then
        id = xadd(claimed, stream, next_id, f1, values[v], f2, values[v + 1], f3, values[v + 2], f4, values[v + 3], f5, values[v + 4])
      elseif k == 3 then
        id = xadd(claimed, stream, next_id, f1, values[v], f2, values[v + 1], f3, values[v + 2])
      elseif k == 2 then
        id = xadd(claimed, stream, next_id, f1, values[v], f2, values[v + 1])
      else
        local args = {stream, next_id}
        for j = 0, k - 1 do
          args[3 + 2 * j] = ARGV[names + j]
          args[4 + 2 * j] = values[v + j]
        end
        id = xadd(claimed, unpack(args))
      end
      if top_ms then
        top_seq = top_seq + 1
      else
        local dash = string.find(id, '-', 1, true)
        top_ms, top_seq = string.sub(id, 1, dash - 1), tonumber(string.sub(id, dash + 1))
        if key then
          call('SET', key, id, 'PX', window)
        end
      end
    end
    out[entries] = id
    v = v + k
  end
  at = names + k + 1
end
for i = 1, #duplicates do
  out[entries + i] = duplicates[i]
end
return out
