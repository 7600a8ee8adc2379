-- Appends a producer's batch for one stream in one call, in order, with few arguments (every argument
-- costs CPU on both sides). Consecutive entries that have the same field names form a run, which names
-- its fields once and carries all its values in one MessagePack array (unpacked here in C by cmsgpack).
--
-- Idempotence: an entry with an operation id has a dedupe key (built by the caller from the stream,
-- the routing key and the id, see docs/wire-format.md) holding '<entry id> <payload digest>' for the
-- dedupe window. The caller computes the payload digest (32 hex digits, defined in docs/wire-format.md)
-- and passes it after the entry's values: hashing here cost more than all the rest of an entry's work.
-- The same id with the same digest is a duplicate (the original entry's id is returned); with another
-- digest it is a conflict: nothing is written for it.
-- The first entry this call adds gets its id from XADD '*' (its dedupe key read with GET before and set
-- after); every later one gets the next id explicitly (the stream's top is this call's own previous
-- entry), so its dedupe key is claimed with one SET NX PX GET before its XADD.
--
-- Truthful results: every argument is read and checked before the first write (a malformed call is an
-- error and writes nothing). A write that still fails (a key of the wrong type, the stream's ids used
-- up) stops the call there: what came before stays written and is reported, the entry that failed and
-- every later one are not written, and a dedupe key this call claimed for the failed entry is removed.
--
-- KEYS[1] stream   KEYS[2..] dedupe keys of the entries that have an id, in entry order
-- ARGV[1] dedupe window ms, then runs: n entries, k fields, 1 when the run's entries have a dedupe
--   key else 0, the k field names, then a MessagePack array of the values, entry by entry: each
--   entry's k values, followed by its payload digest when the run's entries have a dedupe key
-- Returns, for the m entries handled (m = n unless a write failed), the entry id of each (the original
-- entry's id for a duplicate or a conflict); then the 1-based position of every duplicate (positive)
-- and conflict (negative); then, when a write failed, 0 and the error message.
local stream = KEYS[1]
local window = ARGV[1]
local call, rpcall = redis.call, redis.pcall
-- XADD takes the fields of a long entry through unpack: 2 + 2k values stay under Lua's limit (~8000)
local MAX_FIELDS = 3990
local MAX_ID_PART = '18446744073709551615'
local DIGEST = 32

local function fail(message)
  return redis.error_reply('ERR append_runs: ' .. message)
end

-- Pass 1: read every run, writing nothing.
local runs = {}
local at, last = 2, #ARGV
local idempotent_entries = 0
if not tonumber(window) then
  return fail('dedupe window is not a number')
end
while at <= last do
  local n, k = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
  if not n or not k or n < 1 or k < 1 or k > MAX_FIELDS or n % 1 ~= 0 or k % 1 ~= 0 then
    return fail('run at argument ' .. at .. ' needs 1 or more entries and 1 to ' .. MAX_FIELDS .. ' fields')
  end
  local names = at + 3
  if names + k > last then
    return fail('run at argument ' .. at .. ' is cut short')
  end
  local idempotent = ARGV[at + 2] == '1'
  -- values per entry: its k field values, then its payload digest when it has a dedupe key
  local stride = idempotent and k + 1 or k
  local ok, values = pcall(cmsgpack.unpack, ARGV[names + k])
  if not ok or type(values) ~= 'table' or #values ~= n * stride then
    return fail('run at argument ' .. at .. ' needs a MessagePack array of ' .. n .. ' x ' .. stride .. ' values')
  end
  if idempotent then
    idempotent_entries = idempotent_entries + n
    for d = stride, n * stride, stride do
      local sum = values[d]
      if type(sum) ~= 'string' or #sum ~= DIGEST then
        return fail('run at argument ' .. at .. ': entry ' .. (d / stride) .. ' needs a payload digest of ' .. DIGEST .. ' bytes')
      end
    end
  end
  runs[#runs + 1] = {n = n, k = k, names = names, values = values, idempotent = idempotent}
  at = names + k + 1
end
if idempotent_entries ~= #KEYS - 1 then
  return fail(idempotent_entries .. ' entries with an id but ' .. (#KEYS - 1) .. ' dedupe keys')
end

-- Decimal successor of a stream id part (a decimal string): ids reach 2^64 - 1, past Lua's exact numbers.
local function successor(d)
  local i = #d
  while i > 0 and string.byte(d, i) == 57 do
    i = i - 1
  end
  if i == 0 then
    return '1' .. string.rep('0', #d)
  end
  return string.sub(d, 1, i - 1) .. string.char(string.byte(d, i) + 1) .. string.rep('0', #d - i)
end

-- Pass 2: write.
local out, marks = {}, {}
local handled = 0
local failure
local dedupe = 2
-- the id of the last entry this call added (decimal strings; the sequence a number while small, that
-- is below 1e12, which the loop steps itself)
local top_ms, top_seq, top_small = nil, nil, false
-- the id after the top when its sequence is not small, or nil past the largest id
local function next_id()
  local seq = tostring(top_seq)
  if seq ~= MAX_ID_PART then
    return top_ms, successor(seq)
  end
  if top_ms ~= MAX_ID_PART then
    return successor(top_ms), 0
  end
  return nil
end

for r = 1, #runs do
  local run = runs[r]
  local n, k, names, values, idempotent = run.n, run.k, run.names, run.values, run.idempotent
  local stride = idempotent and k + 1 or k
  local f1, f2, f3, f4, f5 = ARGV[names], ARGV[names + 1], ARGV[names + 2], ARGV[names + 3], ARGV[names + 4]
  local v = 1
  for _ = 1, n do
    local entry = handled + 1
    local key, sum, prior
    local new_ms, new_seq, new_small, id
    if top_small then
      new_ms, new_seq = top_ms, top_seq + 1
      new_small = new_seq < 1e12
      id = new_ms .. '-' .. new_seq
    elseif top_ms then
      new_ms, new_seq = next_id()
      if not new_ms then
        failure = 'the stream\'s top id is the largest possible id; nothing more can be added'
        break
      end
      id = new_ms .. '-' .. new_seq
    else
      id = '*'
    end
    if idempotent then
      key = KEYS[dedupe]
      dedupe = dedupe + 1
      sum = values[v + k]
      if top_ms then
        prior = rpcall('SET', key, id .. ' ' .. sum, 'NX', 'PX', window, 'GET')
      else
        prior = rpcall('GET', key)
      end
      if prior and type(prior) == 'table' then
        failure = 'entry ' .. entry .. ': ' .. tostring(prior.err)
        break
      end
    end
    if prior then
      local space = string.find(prior, ' ', 1, true)
      out[entry] = space and string.sub(prior, 1, space - 1) or prior
      marks[#marks + 1] = (space and string.sub(prior, space + 1) == sum) and entry or -entry
    else
      local added
      if k == 4 then
        added = rpcall('XADD', stream, id, f1, values[v], f2, values[v + 1], f3, values[v + 2], f4, values[v + 3])
      elseif k == 5 then
        added = rpcall('XADD', stream, id, f1, values[v], f2, values[v + 1], f3, values[v + 2], f4, values[v + 3], f5, values[v + 4])
      elseif k == 3 then
        added = rpcall('XADD', stream, id, f1, values[v], f2, values[v + 1], f3, values[v + 2])
      elseif k == 2 then
        added = rpcall('XADD', stream, id, f1, values[v], f2, values[v + 1])
      else
        local args = {stream, id}
        for j = 0, k - 1 do
          args[3 + 2 * j] = ARGV[names + j]
          args[4 + 2 * j] = values[v + j]
        end
        added = rpcall('XADD', unpack(args, 1, 2 + 2 * k))
      end
      if type(added) ~= 'string' then
        -- a dedupe key always names an entry that exists: drop the one claimed for this entry
        if key and top_ms then
          call('DEL', key)
        end
        failure = 'entry ' .. entry .. ': ' .. (type(added) == 'table' and tostring(added.err) or 'XADD gave no id')
        break
      end
      out[entry] = added
      if top_ms then
        top_ms, top_seq, top_small = new_ms, new_seq, new_small
      else
        local dash = string.find(added, '-', 1, true)
        local seq = string.sub(added, dash + 1)
        top_small = #seq <= 12
        top_ms, top_seq = string.sub(added, 1, dash - 1), (top_small and tonumber(seq) or seq)
        if key then
          call('SET', key, added .. ' ' .. sum, 'PX', window)
        end
      end
    end
    handled = entry
    v = v + stride
  end
  if failure then
    break
  end
end
for i = 1, #marks do
  out[handled + i] = marks[i]
end
if failure then
  out[#out + 1] = 0
  out[#out + 1] = failure
end
return out
