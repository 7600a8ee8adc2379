-- Appends a producer's batch for one stream in one call, in order, with few arguments (every argument
-- costs CPU on both sides). Consecutive entries that have the same field names form a run, which names
-- its fields once and carries all its values in one MessagePack array (unpacked here in C by cmsgpack).
--
-- Producer sessions (docs/architecture.md, "Idempotent producer sessions"): a producer numbers the
-- sends of each stream 1, 2, 3... within its session and passes the session and the number of the
-- call's first send. The stream's sessions hash keeps, per session, '<last sequence> <first new
-- sequence of the last call that wrote> <that call's first new entry id, or ->'. A send numbered at or
-- below the last sequence was handled before (a retry after a lost reply): it is not written again and
-- is answered with its entry id, found by walking the last call's sends from its first new entry (ids
-- of one call are consecutive); '' when that call no longer describes it. A call that starts past the
-- last sequence + 1 is refused (SEQGAP); so is a session the hash does not know, unless the call starts
-- at 1 and the session began less than SESSION_TTL ago and at most MAX_AHEAD ahead of Redis time
-- (NOSESSION). A new session's first call sweeps a few random fields of sessions that began and last
-- wrote more than SESSION_TTL ago: a swept session can never start again (it is too old), so nothing it
-- retries is taken for new. A session that claims to begin far ahead would never be old enough to be
-- swept: it may not start, and a field of one is swept like an old one.
--
-- Idempotence of operation ids: an entry with an operation id has a dedupe key (built by the caller
-- from the stream, the routing key and the id, see docs/wire-format.md) holding '<entry id> <payload
-- digest>' for the dedupe window. The caller computes the payload digest (32 hex digits, defined in
-- docs/wire-format.md) and passes it after the entry's values: hashing here cost more than all the rest
-- of an entry's work. The same id with the same digest is a duplicate (the original entry's id is
-- returned); with another digest it is a conflict: nothing is written for it.
-- The first entry this call adds gets its id from XADD '*' (its dedupe key read with GET before and set
-- after); every later one gets the next id explicitly (the stream's top is this call's own previous
-- entry), so its dedupe key is claimed with one SET NX PX GET before its XADD. A call without dedupe keys
-- gives every later entry '<ms>-*' instead, which Redis numbers the same way: Lua formatting each id
-- cost Redis more than a tenth of a plain entry's work (callgrind).
-- Dedupe hashes (namespaces whose meta says dedupe=buckets-v1): instead of a key per id, the stream's
-- ids live as fields '<routing key length>:<routing key>:<id>' of hashes, one per bucket of the dedupe
-- window (bucket b = floor(Redis time ms / window), key '<prefix><b>'). A call reads the current bucket
-- and the one before with one HMGET each before any write, and the one after (b + 1) too, but only when
-- it exists (one EXISTS): it holds ids only after Redis's clock stepped back (an NTP step, a failover to
-- a replica whose clock is behind) across a bucket's start, and then ids written just before the step
-- are there. A step back of a window or more is not covered. The fields this call adds go into the
-- current bucket with one HSET, which expires when the next bucket ends. So an id is remembered for the
-- window at least (two at most), and a call costs an EXISTS, two lookups and one write for all its ids.
-- The caller names the three buckets by its own clock; a call whose buckets are not Redis's is refused
-- (DEDUPEBUCKET, with Redis time) and writes nothing.
--
-- Truthful results: every argument and the session's state are read and checked before the first write
-- (a malformed call, a gap or an unknown session is an error and writes nothing): counts and bounds,
-- every value a string, the stream, the sessions hash and the dedupe keys distinct keys (a dedupe key
-- may repeat: one id sent twice in a call), so that no write of the call can make a later one raise.
-- A write that still fails (a key of the wrong type, the stream's ids used up) stops the call there:
-- what came before stays written and is reported (and the session's sequence moves to it), the entry
-- that failed and every later one are not written, and a dedupe key this call claimed for the failed
-- entry is removed.
-- The session's field is written after the entries, so a Redis at maxmemory refuses the first XADD
-- (the call's first write) and the call writes nothing.
--
-- KEYS[1] stream   KEYS[2] the stream's producer sessions hash   KEYS[3..] dedupe keys of the entries
--   that have an id, in entry order; with dedupe hashes instead KEYS[3] the current bucket, KEYS[4]
--   the one before and KEYS[5] the one after, when any entry has an id
-- ARGV[1] dedupe window ms   ARGV[2] producer session '<n>:<start ms>', or '' for none
-- ARGV[3] sequence number of the call's first entry (1 or more), or '' without a session
-- ARGV[4..] runs: n entries, k fields, 1 when the run's entries have a dedupe key, 2 when they have a
--   dedupe field, else 0, the k field names, then a MessagePack array of strings, the values entry by
--   entry: each entry's k values, followed by its payload digest when it has an id, then by its dedupe
--   field with 2
-- Returns, for the m entries handled (m = n unless a write failed), the entry id of each (the original
-- entry's id for a duplicate or a conflict, '' for a repeat whose id is no longer known); then the
-- 1-based position of every duplicate (positive) and conflict (negative); then, when a write failed, 0
-- and the error message.
local stream, sessions = KEYS[1], KEYS[2]
local window, session, first_arg = ARGV[1], ARGV[2], ARGV[3]
local call, rpcall = redis.call, redis.pcall
-- XADD takes the fields of a long entry through unpack: 2 + 2k values stay under Lua's limit (~8000)
local MAX_FIELDS = 3990
local MAX_ID_PART = '18446744073709551615'
local DIGEST = 32
-- A dedupe field: routing key and id of at most 200 bytes each, with the length and two colons
local MAX_DEDUPE_FIELD = 512
-- Fields per HMGET or HSET: unpack stays far below Lua's limit whatever the call's size
local CHUNK = 1000
-- How long a session may start on a stream after it began, and how long a session's field stays once
-- it began that long ago and stopped writing (ms); longer than the longest send-timeout-ms (10 min).
local SESSION_TTL = 3600000
-- How far ahead of Redis time a session may claim to have begun (ms): producer_session.lua takes the
-- start from Redis TIME, so only another master's clock (after a failover) puts it ahead, by little.
-- A start further ahead would keep the session's field from ever being swept.
local MAX_AHEAD = 60000
local SWEEP_SAMPLE = 4
local type = type

-- Raises unless values[1..count] are all strings: '<' between a string and anything else is an error.
local function all_strings(values, count)
  for j = 1, count do
    local _ = values[j] < ''
  end
end

local function fail(message)
  return redis.error_reply('ERR append_runs: ' .. message)
end

-- Pass 1: read every argument and the session's state, writing nothing.
if #ARGV < 3 then
  return fail('needs a dedupe window, a producer session and a first sequence before the runs')
end
if #KEYS < 2 then
  return fail('needs the stream and its producer sessions hash as its first keys')
end
if stream == sessions then
  return fail('the producer sessions key must not be the stream')
end
for i = 3, #KEYS do
  local key = KEYS[i]
  if key == stream or key == sessions then
    return fail('dedupe key ' .. (i - 2) .. ' must be neither the stream nor the producer sessions key')
  end
end
if #window > 15 or not string.match(window, '^[1-9]%d*$') then
  return fail('dedupe window must be a whole number of ms from 1 to 15 digits')
end
local first, birth
if session ~= '' then
  birth = #session <= 40 and string.match(session, '^%d+:(%d+)$')
  if not birth or #birth > 15 then
    return fail('producer session must be <n>:<start ms>')
  end
  birth = tonumber(birth)
  if #first_arg > 15 or not string.match(first_arg, '^[1-9]%d*$') then
    return fail('first sequence must be a whole number from 1 to 15 digits')
  end
  first = tonumber(first_arg)
elseif first_arg ~= '' then
  return fail('a first sequence needs a producer session')
end

local runs = {}
-- the dedupe fields of the call's entries, in entry order
local fields, n_fields = {}, 0
local at, last_arg = 4, #ARGV
local entries, idempotent_entries = 0, 0
-- whether some run's ids have dedupe keys (flag 1), some dedupe fields (flag 2): one call uses one way
local key_runs, hashed_runs = false, false
while at <= last_arg do
  local n_arg, k_arg, flag = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  local n = type(n_arg) == 'string' and #n_arg <= 9 and string.match(n_arg, '^[1-9]%d*$') and tonumber(n_arg)
  local k = type(k_arg) == 'string' and #k_arg <= 4 and string.match(k_arg, '^[1-9]%d*$') and tonumber(k_arg)
  if not n or not k or k > MAX_FIELDS then
    return fail('run at argument ' .. at .. ' needs 1 or more entries and 1 to ' .. MAX_FIELDS .. ' fields')
  end
  if flag ~= '0' and flag ~= '1' and flag ~= '2' then
    return fail('run at argument ' .. at .. ' needs 1 (its entries have dedupe keys), 2 (dedupe fields) or 0 after its sizes')
  end
  local names = at + 3
  if names + k > last_arg then
    return fail('run at argument ' .. at .. ' is cut short')
  end
  local idempotent, hashed = flag ~= '0', flag == '2'
  -- values per entry: its k field values, then its payload digest when it has an id, then its dedupe field
  local stride = hashed and k + 2 or idempotent and k + 1 or k
  local count = n * stride
  local ok, values = pcall(cmsgpack.unpack, ARGV[names + k])
  if not ok or type(values) ~= 'table' or #values ~= count then
    return fail('run at argument ' .. at .. ' needs a MessagePack array of ' .. n .. ' x ' .. stride .. ' values')
  end
  -- strings only: XADD refuses a table or a boolean (after the entries before it were written), and
  -- would write a number in Lua's notation rather than as sent. Comparing a value with '' raises for
  -- anything but a string, so one pcall checks them all (a type() call per value cost Redis ~1,400
  -- instructions per plain entry, callgrind); only a failed check looks for the culprit.
  if not pcall(all_strings, values, count) then
    for j = 1, count do
      if type(values[j]) ~= 'string' then
        return fail('run at argument ' .. at .. ': value ' .. j .. ' of its MessagePack array is a ' .. type(values[j])
            .. ', not a string')
      end
    end
  end
  if idempotent then
    for d = k + 1, n * stride, stride do
      if #values[d] ~= DIGEST then
        return fail('run at argument ' .. at .. ': entry ' .. ((d - k - 1) / stride + 1) .. ' needs a payload digest of '
            .. DIGEST .. ' bytes')
      end
      if hashed then
        local field = values[d + 1]
        if #field == 0 or #field > MAX_DEDUPE_FIELD then
          return fail('run at argument ' .. at .. ': entry ' .. ((d - k - 1) / stride + 1) .. ' needs a dedupe field of 1 '
              .. 'to ' .. MAX_DEDUPE_FIELD .. ' bytes')
        end
        n_fields = n_fields + 1
        fields[n_fields] = field
      end
    end
    key_runs = key_runs or not hashed
    hashed_runs = hashed_runs or hashed
  end
  runs[#runs + 1] = {n = n, k = k, names = names, values = values, idempotent = idempotent, hashed = hashed,
                     stride = stride, first_entry = entries, first_key = 3 + idempotent_entries}
  entries = entries + n
  if idempotent then
    idempotent_entries = idempotent_entries + n
  end
  at = names + k + 1
end
if key_runs and hashed_runs then
  return fail('runs with dedupe keys (1) and runs with dedupe fields (2) in one call')
elseif hashed_runs then
  if #KEYS ~= 5 or KEYS[3] == KEYS[4] or KEYS[3] == KEYS[5] or KEYS[4] == KEYS[5] then
    return fail('entries with dedupe fields need the three dedupe buckets as KEYS[3], KEYS[4] and KEYS[5], distinct')
  end
elseif idempotent_entries ~= #KEYS - 2 then
  return fail(idempotent_entries .. ' entries with an id but ' .. (#KEYS - 2) .. ' dedupe keys')
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

-- The stream id after id (a string), or nil past the largest id.
local function next_id_of(id)
  local ms, seq = string.match(id, '^(%d+)%-(%d+)$')
  if not ms then
    return nil
  elseif seq ~= MAX_ID_PART then
    return ms .. '-' .. successor(seq)
  elseif ms ~= MAX_ID_PART then
    return successor(ms) .. '-0'
  end
  return nil
end

local now
local function redis_now()
  if not now then
    local t = call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return now
end

-- With dedupe fields: the buckets must be Redis's current one, the one before and the one after; what
-- they hold for the call's fields, read now (the current bucket's value when several hold one), by
-- field. The bucket after is read only when it exists (after a clock step back). The write pass adds
-- each field it writes, so a field sent twice in a call is a duplicate of its first entry.
local found, bucket_end = {}, nil
if hashed_runs then
  local t = redis_now()
  local bucket = math.floor(t / tonumber(window))
  local prefix, named = string.match(KEYS[3], '^(.*:)(%d+)$')
  if not prefix or named ~= string.format('%.0f', bucket) or KEYS[4] ~= prefix .. string.format('%.0f', bucket - 1)
      or KEYS[5] ~= prefix .. string.format('%.0f', bucket + 1) then
    return redis.error_reply('DEDUPEBUCKET ' .. string.format('%.0f', t) .. ' is Redis time: the dedupe buckets of this '
        .. 'call must end in ' .. string.format('%.0f', bucket) .. ', ' .. string.format('%.0f', bucket - 1) .. ' and '
        .. string.format('%.0f', bucket + 1) .. ' (window ' .. window .. ' ms); this call wrote nothing')
  end
  bucket_end = string.format('%.0f', (bucket + 2) * tonumber(window))
  local after = call('EXISTS', KEYS[5]) == 1 and 5 or 4
  for b = after, 3, -1 do
    for from = 1, n_fields, CHUNK do
      local to = math.min(from + CHUNK - 1, n_fields)
      local got = rpcall('HMGET', KEYS[b], unpack(fields, from, to))
      if got.err then
        return fail('dedupe bucket ' .. KEYS[b] .. ': ' .. tostring(got.err))
      end
      for i = from, to do
        local held = got[i - from + 1]
        if held then
          found[fields[i]] = held
        end
      end
    end
  end
end

-- repeats: how many of this call's first entries were handled before; their answers are worked out
-- now, before any write, from the last call that wrote for this session
local repeats, new_field = 0, false
local repeat_ids, repeat_marks = nil, nil
if session ~= '' then
  local state = rpcall('HGET', sessions, session)
  if type(state) == 'table' then
    return fail('producer sessions key: ' .. tostring(state.err))
  end
  if not state then
    if first ~= 1 then
      return redis.error_reply('NOSESSION producer session ' .. session .. ' is not known on this stream (it expired, '
          .. 'or Redis lost it) and this call starts at sequence ' .. first .. '; this call wrote nothing')
    end
    local age = redis_now() - birth
    if age >= SESSION_TTL then
      return redis.error_reply('NOSESSION producer session ' .. session .. ' began ' .. age .. ' ms ago, more than '
          .. SESSION_TTL .. ' ms: too old to start on this stream; this call wrote nothing')
    end
    if -age > MAX_AHEAD then
      return redis.error_reply('NOSESSION producer session ' .. session .. ' claims to begin ' .. -age .. ' ms ahead '
          .. 'of Redis time, more than ' .. MAX_AHEAD .. ' ms: it may not start on this stream (it would never '
          .. 'expire); this call wrote nothing')
    end
    new_field = true
  else
    local last, call_first, first_id = string.match(state, '^(%d+) (%d+) (%S+)$')
    if last and #last <= 15 and #call_first <= 15 then
      last, call_first = tonumber(last), tonumber(call_first)
    end
    -- as this script writes it: the last call's first new send is at or below the last sequence
    if type(last) ~= 'number' or call_first < 1 or call_first > last
        or (first_id ~= '-' and not string.match(first_id, '^%d+%-%d+$')) then
      return redis.error_reply('NOSESSION producer session ' .. session .. ' has unreadable state on this stream; '
          .. 'this call wrote nothing')
    end
    if first > last + 1 then
      return redis.error_reply('SEQGAP producer session ' .. session .. ' is at sequence ' .. last .. ' on this stream '
          .. 'and this call starts at ' .. first .. '; this call wrote nothing')
    end
    repeats = math.min(last - first + 1, entries)
    if repeats > 0 then
      repeat_ids, repeat_marks = {}, {}
      -- The last call's new sends start at call_first and its entries have consecutive ids from
      -- first_id on: walk them, each plain send taking the next id and each send with an operation id
      -- the next id when its dedupe key names it (else it was a duplicate or a conflict of that entry).
      -- A repeat before call_first, or after anything the walk cannot follow, is answered ''.
      local walk_from = call_first - first + 1
      local cur = first_id ~= '-' and first_id or nil
      local e = 0
      for r = 1, #runs do
        local run = runs[r]
        local stride = run.stride
        for i = 1, math.min(run.n, repeats - e) do
          e = e + 1
          local id = ''
          if walk_from >= 1 and e >= walk_from then
            if run.idempotent then
              -- read as the first call read it: '<id> <digest>', or an id alone (a conflict)
              local held
              if run.hashed then
                held = found[run.values[(i - 1) * stride + run.k + 2]]
              else
                held = rpcall('GET', KEYS[run.first_key + i - 1])
              end
              local held_id, held_sum
              if type(held) == 'string' then
                local space = string.find(held, ' ', 1, true)
                held_id = space and string.sub(held, 1, space - 1) or held
                held_sum = space and string.sub(held, space + 1)
              end
              if not held_id then
                walk_from = 0
              elseif held_id == cur then
                id, cur = cur, next_id_of(cur)
              else
                id = held_id
                repeat_marks[#repeat_marks + 1] = held_sum == run.values[(i - 1) * stride + run.k + 1] and e or -e
              end
            elseif cur then
              id, cur = cur, next_id_of(cur)
            else
              walk_from = 0
            end
          end
          repeat_ids[e] = id
        end
      end
    end
  end
end

-- The commands the write pass calls after its first XADD (the dedupe bucket's HSET, the session's HSET and
-- sweep, a dedupe key's SET or DEL) are checked now (include/acl.lua). The bucket's PEXPIREAT is not: checking
-- it cost Redis an eighth of a send with an id (callgrind), and a refusal of it, after the ids are recorded,
-- leaves the sends written and idempotent and is logged by Redis (the bucket then never expires).
local SCRIPT = 'append_runs.lua'
--#include acl
local refusal
if hashed_runs then
  refusal = denied('HSET', KEYS[3], 'f', 'v')
elseif key_runs then
  for i = 3, #KEYS do
    refusal = refusal or denied('SET', KEYS[i], 'v', 'PX', '1') or denied('DEL', KEYS[i])
  end
end
if session ~= '' then
  refusal = refusal or denied('HSET', sessions, 'f', 'v')
  if new_field then
    refusal = refusal or denied('HRANDFIELD', sessions, '1', 'WITHVALUES') or denied('HDEL', sessions, 'f')
  end
end
if refusal then
  return refusal
end

-- Pass 2: write.
local out, marks = {}, {}
local handled = 0
local failure
local dedupe = 3
-- the id of the last entry this call added (decimal strings; the sequence a number while small, that
-- is below 1e12, which the loop steps itself)
local top_ms, top_seq, top_small = nil, nil, false
local first_written
-- '<ms>-*' once the call's first entry is written, when no entry of the call needs its id before its XADD
-- (no dedupe keys) and the top's sequence is far from its limit: Redis numbers each later entry the
-- top's successor, as the explicit id would, without Lua formatting a number per entry
local auto_id
-- with dedupe fields: the fields to add as field, value, ...
local new_fields, n_new = {}, 0
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

if repeats > 0 then
  for e = 1, repeats do
    out[e] = repeat_ids[e]
  end
  for i = 1, #repeat_marks do
    marks[i] = repeat_marks[i]
  end
  handled = repeats
end

for r = 1, #runs do
  local run = runs[r]
  local n, k, names, values, idempotent, hashed = run.n, run.k, run.names, run.values, run.idempotent, run.hashed
  local stride = run.stride
  local f1, f2, f3, f4, f5 = ARGV[names], ARGV[names + 1], ARGV[names + 2], ARGV[names + 3], ARGV[names + 4]
  local v = 1
  for i = 1, n do
    local entry = run.first_entry + i
    if entry <= repeats then
      -- answered above
      if idempotent then
        dedupe = dedupe + 1
      end
      v = v + stride
    else
      local key, sum, prior, field
      local new_ms, new_seq, new_small, id
      if auto_id then
        id = auto_id
      elseif top_small then
        new_ms, new_seq = top_ms, top_seq + 1
        new_small = new_seq < 1e12
        id = new_ms .. '-' .. new_seq
      elseif top_ms then
        new_ms, new_seq = next_id()
        -- past the largest id: nothing more can be added, but a duplicate is still answered
        id = new_ms and new_ms .. '-' .. new_seq
      else
        id = '*'
      end
      if hashed then
        sum, field = values[v + k], values[v + k + 1]
        prior = found[field]
      elseif idempotent then
        key = KEYS[dedupe]
        dedupe = dedupe + 1
        sum = values[v + k]
        if top_ms and id then
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
      elseif not id then
        failure = 'the stream\'s top id is the largest possible id; nothing more can be added'
        break
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
        first_written = first_written or added
        if field then
          local held = added .. ' ' .. sum
          found[field] = held
          new_fields[n_new + 1] = field
          new_fields[n_new + 2] = held
          n_new = n_new + 2
        end
        if auto_id then
          -- Redis numbered it
        elseif top_ms then
          top_ms, top_seq, top_small = new_ms, new_seq, new_small
        else
          local dash = string.find(added, '-', 1, true)
          local seq = string.sub(added, dash + 1)
          top_small = #seq <= 12
          top_ms, top_seq = string.sub(added, 1, dash - 1), (top_small and tonumber(seq) or seq)
          if top_small and not key_runs then
            auto_id = top_ms .. '-*'
          end
          if key then
            call('SET', key, added .. ' ' .. sum, 'PX', window)
          end
        end
      end
      handled = entry
      v = v + stride
    end
  end
  if failure then
    break
  end
end

for from = 1, #new_fields, 2 * CHUNK do
  call('HSET', KEYS[3], unpack(new_fields, from, math.min(from + 2 * CHUNK - 1, #new_fields)))
end
if #new_fields > 0 then
  local expiry = rpcall('PEXPIREAT', KEYS[3], bucket_end)
  if type(expiry) == 'table' and expiry.err then
    redis.log(redis.LOG_WARNING, 'append_runs.lua: PEXPIREAT refused on ' .. KEYS[3] .. ' (' .. tostring(expiry.err)
        .. '): its operation ids are recorded but will not expire')
  end
end

if session ~= '' and handled > repeats then
  call('HSET', sessions, session, string.format('%.0f %.0f ', first + handled - 1, first + repeats) .. (first_written or '-'))
  if new_field then
    -- sweep: fields of sessions that began more than SESSION_TTL ago (or claim to begin more than
    -- MAX_AHEAD ahead) and last wrote (judged by their last call's first entry id) more than SESSION_TTL
    -- ago; one that never wrote, or whose field is unreadable, counts as idle. An id ahead of Redis time
    -- (a writer pushed the stream's top there) is a recent write, never idle.
    local t = redis_now()
    local sample = call('HRANDFIELD', sessions, SWEEP_SAMPLE, 'WITHVALUES')
    local gone = {}
    for i = 1, #sample, 2 do
      local name, state = sample[i], sample[i + 1]
      local began = string.match(name, '^%d+:(%d+)$')
      local wrote = string.match(state, '^%d+ %d+ (%d+)%-%d+$')
      local idle = not wrote or t - tonumber(wrote) >= SESSION_TTL
      local age = began and #began <= 15 and t - tonumber(began)
      if name ~= session and (not age or ((age >= SESSION_TTL or -age > MAX_AHEAD) and idle)) then
        gone[#gone + 1] = name
      end
    end
    if #gone > 0 then
      call('HDEL', sessions, unpack(gone))
    end
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
