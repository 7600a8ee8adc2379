-- Tally apply script: reads one batch of a partition's ops and events for this consumer and applies
-- it atomically (fence, checkpoint skip, gap check, apply, dead letters, checkpoint, XACK).
--
-- KEYS[1] ops stream      KEYS[2] events stream   KEYS[3] counters hash   KEYS[4] checkpoint hash
-- KEYS[5] lease           KEYS[6] dlq stream      KEYS[7] triggers hash   KEYS[8] firings stream
-- KEYS[9] triggers by event type (index)            KEYS[10] triggers by counter (index)
-- KEYS[11] prefix of all-time HyperLogLogs ('..hll:' + counter)
-- KEYS[12] prefix of bucket HyperLogLogs ('..hllw:' + window:start:counter)
-- KEYS[13] prefix of series bucket hashes ('..series:' + window:start)   KEYS[14] series index (zset)
-- ARGV[1] lease value (fence)     ARGV[2] consumer name     ARGV[3] partition     ARGV[4] P
-- ARGV[5] batch size (<= 1000)    ARGV[6] ops cursor        ARGV[7] events cursor
--   cursor: '>' new entries, an id: own pending entries after that id, '' skip the stream
-- ARGV[8] allowed windows 'name:lengthMs:retentionMs,...'   ARGV[9] how far ts may lead the id time, ms
-- ARGV[10] most firings to append (max-firings-per-call; 1000 when absent)
--
-- Returns a flat array: status ('OK' | 'LEASE_LOST'), then for ops and then events:
--   state ('OK' | 'GAP' | 'IDLE' | 'VERSION:<v>' | 'MORE': applied up to 'last id read', the rest of
--   the batch is pending), read, applied, redelivered, deleted,
--   last id read, dead letters ('reason=n,...'), entry times ('ms:n,...'); then firings ('kind=n,...');
--   then series ('late.<window>=n,overflow.<window>=n,...').
--
-- Series: an incr/decr/unique entry with 'windows' also counts in the bucket of each window holding its
-- time: ts when 0 <= ts <= id time + ARGV[9], else the id's time. An entry whose bucket ended more than the
-- window's retention before its id time is late: it counts in the total only and is reported. Judged
-- on the id time, not the clock, so that a replay decides exactly as the first apply did. An entry whose
-- id time lies more than ARGV[9] ahead of Redis time (an explicit id chosen by a writer) counts at its
-- ts when 0 <= ts <= now + ARGV[9], else at now, and is reported as 'future.<window>': no series key is
-- ever created far ahead of Redis time. (A replay of such an entry is skipped by the checkpoint.)
--
-- Bounds (wire format v1, checked before any write; keep in step with WireFormat): at most MAX_FIELDS
-- fields per entry (too_many_fields), at most MAX_PARAMS 'p.' fields per event (too_many_params), a
-- parameter value of at most MAX_PARAM_BYTES (too_large). A field named twice counts with its last value.
-- No list whose length an entry or a stored value decides is ever unpacked whole: Lua's unpack stops
-- near 8,000 values, and an error after the first write would leave a half-applied batch.
--
-- Triggers: every active trigger of the batch's event types and counters is loaded before the first
-- write. Event triggers fire on each applied event whose parameters include all of 'match'; threshold
-- triggers fire when the running value after an entry crosses into the condition while armed, and
-- re-arm when it crosses back. A firing is an XADD to the firings stream with the state change in this
-- same script, so it happens exactly once with the checkpoint move.
-- Scripts do not roll back: everything is read and validated before the first write, and the one
-- write that can fail (HINCRBY overflow) runs under pcall and becomes a dead letter.

local CRC_TABLE = {
  0, 1996959894, -301047508, -1727442502, 124634137, 1886057615, -379345611, -1637575261,
  249268274, 2044508324, -522852066, -1747789432, 162941995, 2125561021, -407360249, -1866523247,
  498536548, 1789927666, -205950648, -2067906082, 450548861, 1843258603, -187386543, -2083289657,
  325883990, 1684777152, -43845254, -1973040660, 335633487, 1661365465, -99664541, -1928851979,
  997073096, 1281953886, -715111964, -1570279054, 1006888145, 1258607687, -770865667, -1526024853,
  901097722, 1119000684, -608450090, -1396901568, 853044451, 1172266101, -589951537, -1412350631,
  651767980, 1373503546, -925412992, -1076862698, 565507253, 1454621731, -809855591, -1195530993,
  671266974, 1594198024, -972236366, -1324619484, 795835527, 1483230225, -1050600021, -1234817731,
  1994146192, 31158534, -1731059524, -271249366, 1907459465, 112637215, -1614814043, -390540237,
  2013776290, 251722036, -1777751922, -519137256, 2137656763, 141376813, -1855689577, -429695999,
  1802195444, 476864866, -2056965928, -228458418, 1812370925, 453092731, -2113342271, -183516073,
  1706088902, 314042704, -1950435094, -54949764, 1658658271, 366619977, -1932296973, -69972891,
  1303535960, 984961486, -1547960204, -725929758, 1256170817, 1037604311, -1529756563, -740887301,
  1131014506, 879679996, -1385723834, -631195440, 1141124467, 855842277, -1442165665, -586318647,
  1342533948, 654459306, -1106571248, -921952122, 1466479909, 544179635, -1184443383, -832445281,
  1591671054, 702138776, -1328506846, -942167884, 1504918807, 783551873, -1212326853, -1061524307,
  -306674912, -1698712650, 62317068, 1957810842, -355121351, -1647151185, 81470997, 1943803523,
  -480048366, -1805370492, 225274430, 2053790376, -468791541, -1828061283, 167816743, 2097651377,
  -267414716, -2029476910, 503444072, 1762050814, -144550051, -2140837941, 426522225, 1852507879,
  -19653770, -1982649376, 282753626, 1742555852, -105259153, -1900089351, 397917763, 1622183637,
  -690576408, -1580100738, 953729732, 1340076626, -776247311, -1497606297, 1068828381, 1219638859,
  -670225446, -1358292148, 906185462, 1090812512, -547295293, -1469587627, 829329135, 1181335161,
  -882789492, -1134132454, 628085408, 1382605366, -871598187, -1156888829, 570562233, 1426400815,
  -977650754, -1296233688, 733239954, 1555261956, -1026031705, -1244606671, 752459403, 1541320221,
  -1687895376, -328994266, 1969922972, 40735498, -1677130071, -351390145, 1913087877, 83908371,
  -1782625662, -491226604, 2075208622, 213261112, -1831694693, -438977011, 2094854071, 198958881,
  -2032938284, -237706686, 1759359992, 534414190, -2118248755, -155638181, 1873836001, 414664567,
  -2012718362, -15766928, 1711684554, 285281116, -1889165569, -127750551, 1634467795, 376229701,
  -1609899400, -686959890, 1308918612, 956543938, -1486412191, -799009033, 1231636301, 1047427035,
  -1362007478, -640263460, 1088359270, 936918000, -1447252397, -558129467, 1202900863, 817233897,
  -1111625188, -893730166, 1404277552, 615818150, -1160759803, -841546093, 1423857449, 601450431,
  -1285129682, -1000256840, 1567103746, 711928724, -1274298825, -1022587231, 1510334235, 755167117,
}

local GROUP = 'tally'
local LIM = 9007199254740992 -- 2^53: Lua numbers are exact below this
local MAX_FIELDS = 1000        -- fields of one entry (WireFormat.MAX_FIELDS)
local MAX_PARAMS = 100         -- 'p.' fields of one event, params of one firing (WireFormat.MAX_PARAMS)
local MAX_PARAM_BYTES = 65536  -- one parameter value (WireFormat.MAX_PARAM_VALUE_BYTES)
local CHUNK = 500              -- values per unpack: far below Lua's limit
local partition = tonumber(ARGV[3])
local partitions = tonumber(ARGV[4])
local count = tonumber(ARGV[5])
local WINDOWS = {}
for name, len, keep in string.gmatch(ARGV[8] or '', '([^:,]+):(%d+):(%d+)') do
  WINDOWS[name] = {len = tonumber(len), keep = tonumber(keep)}
end
local FUTURE = tonumber(ARGV[9] or '0')
-- Most firings one call appends (max-firings-per-call): the batch is applied up to the entry that would
-- pass it, the rest stays pending for the next call (state MORE). An entry's own firings are never split.
local MAX_FIRINGS = tonumber(ARGV[10] or '') or 1000

if redis.call('GET', KEYS[5]) ~= ARGV[1] then
  return {'LEASE_LOST'}
end
-- Redis refuses a script's writes for maxmemory only at its first write, and only when that command may
-- grow memory; this script's first write is XREADGROUP, which is not such a command, so under a full
-- Redis every later write would pass. A SET XX of a key that never exists writes nothing but is such a
-- command: it raises OOM here, before anything is written, and the processor backs off.
redis.call('SET', KEYS[5] .. ':oom-probe', '', 'XX')

-- ---------- validation helpers (keep in step with io.tally.common.wire.WireFormat) ----------

-- Library functions as locals: a global lookup per call is a measurable share of the per-entry cost.
local bxor, band, rshift, bnot = bit.bxor, bit.band, bit.rshift, bit.bnot
local byte, find, tostring, tonumber = string.byte, string.find, tostring, tonumber

local function crc32(s)
  local crc = -1
  for i = 1, #s do
    crc = bxor(rshift(crc, 8), CRC_TABLE[band(bxor(crc, byte(s, i)), 255) + 1])
  end
  crc = bnot(crc)
  if crc < 0 then crc = crc + 4294967296 end
  return crc
end

-- Returns nil when s is valid UTF-8 without control characters (C0, DEL, C1), else the reason.
local function utf8_problem(s)
  if not string.find(s, '[^\32-\126]') then return nil end
  local i, n = 1, #s
  while i <= n do
    local c = string.byte(s, i)
    if c < 32 or c == 127 then return 'control_char' end
    if c < 128 then
      i = i + 1
    else
      local len, min, cp
      if c >= 194 and c <= 223 then len, min, cp = 2, 128, c - 192
      elseif c >= 224 and c <= 239 then len, min, cp = 3, 2048, c - 224
      elseif c >= 240 and c <= 244 then len, min, cp = 4, 65536, c - 240
      else return 'bad_utf8' end
      if i + len - 1 > n then return 'bad_utf8' end
      for j = i + 1, i + len - 1 do
        local cc = string.byte(s, j)
        if cc < 128 or cc > 191 then return 'bad_utf8' end
        cp = cp * 64 + (cc - 128)
      end
      if cp < min or cp > 1114111 or (cp >= 55296 and cp <= 57343) then return 'bad_utf8' end
      if cp >= 128 and cp <= 159 then return 'control_char' end
      i = i + len
    end
  end
  return nil
end

local name_ok = {}
local function name_problem(field, s)
  if s == nil then return 'missing_field', "missing field '" .. field .. "'" end
  if name_ok[s] then return nil end
  if #s == 0 then return 'empty_field', "field '" .. field .. "' is empty" end
  if #s > 200 then
    return 'too_long', "field '" .. field .. "' is " .. #s .. ' bytes of UTF-8, at most 200 allowed'
  end
  local p = utf8_problem(s)
  if p == 'control_char' then return p, "field '" .. field .. "' contains a control character" end
  if p then return p, "field '" .. field .. "' is not valid UTF-8" end
  name_ok[s] = true
  return nil
end

local home_ok = {}
local function routing_problem(field, s)
  local r, e = name_problem(field, s)
  if r then return r, e end
  if home_ok[s] then return nil end
  local home = crc32(s) % partitions
  if home ~= partition then
    return 'wrong_partition', "field '" .. field .. "' routes to partition " .. home .. ', entry is on partition ' .. partition
  end
  home_ok[s] = true
  return nil
end

-- Canonical signed 64-bit decimal: returns its (possibly rounded) number, or nil.
local function int64(s)
  if #s <= 14 then
    -- Short values: canonical exactly when Lua prints the number back the same way ('007', '+5',
    -- '5.0', '1e3' and ' 5' all print differently). 'inf' and 'nan' would print back too, hence
    -- the digit at the end; '-0' is the one other spelling that survives.
    local last = byte(s, -1)
    if last == nil or last < 48 or last > 57 then return nil end
    local n = tonumber(s)
    if n ~= nil and tostring(n) == s and s ~= '-0' then return n end
    return nil
  end
  if not find(s, '^%-?[1-9]%d*$') then return nil end
  local neg = string.byte(s, 1) == 45
  local digits = neg and string.sub(s, 2) or s
  if #digits > 19 then return nil end
  if #digits == 19 and digits > (neg and '9223372036854775808' or '9223372036854775807') then return nil end
  return tonumber(s)
end

local function number_problem(field, s)
  if s == nil then return 'missing_field', "missing field '" .. field .. "'" end
  if int64(s) == nil then
    local shown = #s <= 40 and s or (string.sub(s, 1, 40) .. '...')
    return 'bad_number', "field '" .. field .. "' is not a canonical signed 64-bit integer: '" .. shown .. "'"
  end
  return nil
end

local function common_problem(f)
  if f.id ~= nil then
    local r, e = name_problem('id', f.id)
    if r then return r, e end
  end
  if f.ts ~= nil then return number_problem('ts', f.ts) end
  return nil
end

-- ---------- stream ids ----------

--#include ids

-- HMGET of any number of fields, CHUNK at a time; returns the values in order (false when missing).
local function hmget(key, names)
  local out = {}
  for from = 1, #names, CHUNK do
    local got = redis.call('HMGET', key, unpack(names, from, math.min(#names, from + CHUNK - 1)))
    for i = 1, #got do out[from + i - 1] = got[i] end
  end
  return out
end

-- Redis time in ms, read at most once per call.
local clock_ms = nil
local function now_clock()
  if not clock_ms then
    local t = redis.call('TIME')
    clock_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return clock_ms
end

-- ---------- decoding ----------

local function to_map(flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return f
end

local OPS = {incr = true, decr = true, set = true, reset = true, unique = true}

local windows_ok = {}
local function windows_problem(op, s)
  if op == 'set' or op == 'reset' then
    return "field 'windows' is only allowed on incr, decr and unique (" .. op .. ' changes the total only)'
  end
  if windows_ok[s] then return nil, windows_ok[s] end
  if s == '' then return "field 'windows' is empty" end
  local list, seen = {}, {}
  for w in string.gmatch(s .. ',', '([^,]*),') do
    if not WINDOWS[w] then
      local shown = #w <= 40 and w or (string.sub(w, 1, 40) .. '...')
      local allowed = string.gsub(ARGV[8] or '', ':%d+:%d+', '')
      return "field 'windows' has window '" .. shown .. "' that is not configured (allowed: " .. allowed .. ')'
    end
    if seen[w] then return "field 'windows' names window '" .. w .. "' twice" end
    seen[w] = true
    list[#list + 1] = w
  end
  windows_ok[s] = list
  return nil, list
end

-- Returns a parsed op record, or nil and (reason, error).
local function parse_op(f)
  local op = f.op
  if op == nil then return nil, 'missing_field', "missing field 'op'" end
  if not OPS[op] then
    local shown = #op <= 40 and op or (string.sub(op, 1, 40) .. '...')
    return nil, 'unknown_op', "field 'op' has unknown operation '" .. shown .. "' (expected incr, decr, set, reset or unique)"
  end
  local r, e = routing_problem('counter', f.counter)
  if r then return nil, r, e end
  r, e = common_problem(f)
  if r then return nil, r, e end
  local windows = nil
  if f.windows ~= nil then
    e, windows = windows_problem(op, f.windows)
    if e then return nil, 'bad_windows', e end
  end
  local amount = nil
  if op == 'unique' then
    r, e = name_problem('member', f.member)
    if r then return nil, r, e end
    return {op = op, counter = f.counter, member = f.member, windows = windows, ts = f.ts}
  elseif op == 'incr' or op == 'decr' then
    amount = f.by or '1'
    r, e = number_problem('by', amount)
    if r then return nil, r, e end
    if op == 'decr' then
      if amount == '0' then
      elseif string.byte(amount, 1) == 45 then amount = string.sub(amount, 2)
      else amount = '-' .. amount end
      if int64(amount) == nil then
        return nil, 'overflow', "field 'by': decr by " .. f.by .. ' cannot be negated in 64 bits'
      end
    end
  elseif op == 'set' then
    amount = f.value
    r, e = number_problem('value', amount)
    if r then return nil, r, e end
  end
  return {op = op, counter = f.counter, amount = amount, windows = windows, ts = f.ts}
end

local function parse_event(f)
  local r, e = routing_problem('type', f.type)
  if r then return nil, r, e end
  r, e = common_problem(f)
  if r then return nil, r, e end
  local params = 0
  for k, v in pairs(f) do
    if string.sub(k, 1, 2) == 'p.' then
      params = params + 1
      if params > MAX_PARAMS then
        return nil, 'too_many_params', 'the event has more than ' .. MAX_PARAMS .. ' parameters'
      end
      local shown = #k <= 40 and k or string.sub(k, 1, 40)
      r, e = name_problem('param name', string.sub(k, 3))
      if r then return nil, r, e .. " (field '" .. shown .. "')" end
      if #v > MAX_PARAM_BYTES then
        return nil, 'too_large', "field '" .. shown .. "' is " .. #v .. ' bytes, at most ' .. MAX_PARAM_BYTES .. ' allowed'
      end
    end
  end
  return {type = f.type, fields = f}
end

-- ---------- reading ----------

local function read_batch(streams, cursors)
  if #streams == 0 then return {} end
  local args = {'XREADGROUP', 'GROUP', GROUP, ARGV[2], 'COUNT', count, 'STREAMS'}
  for i = 1, #streams do args[#args + 1] = streams[i] end
  for i = 1, #cursors do args[#args + 1] = cursors[i] end
  local reply = redis.call(unpack(args))
  local by_stream = {}
  if reply then
    for _, s in ipairs(reply) do by_stream[s[1]] = s[2] end
  end
  return by_stream
end

-- ---------- one stream's batch ----------

-- Splits the batch into what to skip (at or below the checkpoint), what to apply, and where an
-- unknown format version stops it. Reads only; writes nothing.
-- Counter names already in this partition's counters hash were validated when first applied, so
-- they skip the UTF-8 and crc32 checks; their stored values serve load_counters, so the batch still
-- reads the hash once. Reads only, before any write.
local preloaded = {}
local function preload_counters(entries)
  local names, seen = {}, {}
  for _, entry in ipairs(entries) do
    local flat = entry[2]
    if flat and #flat <= 2 * MAX_FIELDS then
      for i = 1, #flat, 2 do
        local v = flat[i + 1]
        if flat[i] == 'counter' and not seen[v] and #v > 0 and #v <= 200 then
          seen[v] = true
          names[#names + 1] = v
        end
      end
    end
  end
  if #names == 0 then return end
  local stored = hmget(KEYS[3], names)
  for i, name in ipairs(names) do
    local v = stored[i]
    preloaded[name] = v
    if v then
      name_ok[name] = true
      home_ok[name] = true
    end
  end
end

local function plan(key, source, cursor, entries, parse)
  local checkpoint = redis.call('HGET', KEYS[4], source) or '0-0'
  -- A batch comes in id order, so once one entry is past the checkpoint all later ones are too.
  local past = false
  local p = {ack = {}, apply = {}, redelivered = 0, deleted = 0, last = '', state = 'OK'}
  if source == 'ops' then preload_counters(entries) end
  for _, entry in ipairs(entries) do
    local id, flat = entry[1], entry[2]
    if not flat or flat == false then
      p.deleted = p.deleted + 1
      p.ack[#p.ack + 1] = id
    else
      local f = to_map(flat)
      if f.v ~= nil and f.v ~= '1' then
        p.state = 'VERSION:' .. f.v
        break
      end
      p.ack[#p.ack + 1] = id
      if not past then past = id_after(id, checkpoint) end
      if not past then
        p.redelivered = p.redelivered + 1
      else
        local rec, reason, err
        if #flat > 2 * MAX_FIELDS then
          reason, err = 'too_many_fields', 'the entry has ' .. (#flat / 2) .. ' fields, at most ' .. MAX_FIELDS .. ' allowed'
        else
          rec, reason, err = parse(f)
        end
        if rec == nil then rec = {dead = reason, error = err} end
        rec.id, rec.flat, rec.ack_at = id, flat, #p.ack
        p.apply[#p.apply + 1] = rec
      end
    end
    p.last = id
  end
  if #p.apply > 0 then
    -- New entries ('>') come as one run of the stream, so the first one following the checkpoint
    -- proves the batch covers everything up to its last. A pending list (an id cursor) may skip
    -- entries another consumer holds: there every stream entry between the checkpoint and the
    -- batch's last must be in the batch (the batch is a subset of that range, so equal counts).
    local first, n = p.apply[1].id, #p.apply
    local upto, count = '+', 1
    if cursor ~= '>' then upto, count = p.apply[n].id, n + 1 end
    local got = redis.call('XRANGE', key, '(' .. checkpoint, upto, 'COUNT', count)
    if #got == 0 or got[1][1] ~= first or (cursor ~= '>' and #got ~= n) then
      p.state = 'GAP'
    end
  end
  return p
end

--#include dead_letter

local dead_counts = {}
local function dead_letter(source, rec)
  redis.call(unpack(dead_letter_args(KEYS[6], rec.dead, rec.error, source, rec.id, rec.flat, MAX_FIELDS)))
  dead_counts[source] = dead_counts[source] or {}
  dead_counts[source][rec.dead] = (dead_counts[source][rec.dead] or 0) + 1
end

local function stamps(recs)
  local counts, order = {}, {}
  for _, rec in ipairs(recs) do
    local ms = string.sub(rec.id, 1, string.find(rec.id, '-', 1, true) - 1)
    -- ids beyond a signed 64-bit ms (a writer's choice) tell no latency
    if #ms > 15 then ms = nil end
    if ms then
      if not counts[ms] then order[#order + 1] = ms; counts[ms] = 0 end
      counts[ms] = counts[ms] + 1
    end
  end
  local out = {}
  for _, ms in ipairs(order) do out[#out + 1] = ms .. ':' .. counts[ms] end
  return table.concat(out, ',')
end

-- ---------- counters ----------

-- Applies op records in order. Values small enough for exact Lua arithmetic are summed here and
-- written once per counter at the end; anything else goes through HINCRBY under pcall, so that a
-- 64-bit overflow is judged on the running value of that very entry and becomes a dead letter.
local vals, exact = {}, {}

-- Reads the current values of the counters a batch touches (before any write).
local function load_counters(recs)
  local names, seen = {}, {}
  for _, rec in ipairs(recs) do
    if not rec.dead and rec.op ~= 'unique' and not seen[rec.counter] then
      seen[rec.counter] = true
      names[#names + 1] = rec.counter
    end
  end
  local missing = {}
  for _, name in ipairs(names) do
    if preloaded[name] == nil then missing[#missing + 1] = name end
  end
  if #missing > 0 then
    local stored = hmget(KEYS[3], missing)
    for i, name in ipairs(missing) do preloaded[name] = stored[i] end
  end
  if #names > 0 then
    for _, name in ipairs(names) do
      local s = preloaded[name]
      if not s then
        vals[name], exact[name] = 0, true
      else
        local n = tonumber(s)
        vals[name] = n
        exact[name] = n ~= nil and #s <= 15 and int64(s) ~= nil
      end
    end
  end
  return names
end

-- ---------- triggers ----------

local now_ms = nil
local by_counter, by_type = {}, {}        -- name -> active trigger records
local counter_ids, type_ids = {}, {}      -- name -> every id its index entry lists
local stale = {}                          -- ids listed in an index that are no longer active
local touched, touched_order = {}, {}
local firing_counts = {}
local fired_total = 0

local function index_lists(index, names)
  local out = {}
  if #names == 0 then return out end
  local lists = hmget(index, names)
  for i, name in ipairs(names) do
    if lists[i] then
      local ids = {}
      for id in string.gmatch(lists[i], '%S+') do ids[#ids + 1] = id end
      out[name] = ids
    end
  end
  return out
end

-- A stored definition as this script uses it, or nil when it is not one that the trigger API writes
-- (broken JSON, a threshold without a number, a kind that is not a string): such a trigger is left
-- alone, neither fired nor pruned, so that nothing a stored value holds can fail a write below.
local function trigger_record(id, json, armed)
  local ok, d = pcall(cjson.decode, json)
  if not ok or type(d) ~= 'table' or type(d.kind) ~= 'string' then return nil end
  local t = {id = id, kind = d.kind, mode = d.mode, op = d.op, value = tonumber(d.value),
             match = type(d.match) == 'table' and d.match or nil,
             params = type(d.params) == 'table' and d.params or nil,
             armed = armed, fired = 0, done = false, armed_changed = false}
  if t.kind == 'threshold' and ((t.op ~= '>=' and t.op ~= '<=') or t.value == nil or t.value ~= t.value) then
    return nil
  end
  return t
end

-- Loads the active triggers listed in the given index entries: definition, status, armed flag.
local function load_triggers(lists, target)
  local ids, owners = {}, {}
  for name, list in pairs(lists) do
    for _, id in ipairs(list) do
      ids[#ids + 1] = id
      owners[#owners + 1] = name
    end
  end
  local CHUNK = 500 -- 3 fields each: keeps unpack far below Lua's limit
  for from = 1, #ids, CHUNK do
    local fields = {}
    for i = from, math.min(#ids, from + CHUNK - 1) do
      fields[#fields + 1] = ids[i]
      fields[#fields + 1] = ids[i] .. ':status'
      fields[#fields + 1] = ids[i] .. ':armed'
    end
    local got = redis.call('HMGET', KEYS[7], unpack(fields))
    for j = 1, #fields, 3 do
      local i = from + (j - 1) / 3
      if not got[j] or got[j + 1] ~= 'active' then
        stale[ids[i]] = true
      else
        local t = trigger_record(ids[i], got[j], got[j + 2] == '1')
        if t then
          local list = target[owners[i]] or {}
          list[#list + 1] = t
          target[owners[i]] = list
        end
      end
    end
  end
end

local function touch(t)
  if not touched[t.id] then
    touched[t.id] = t
    touched_order[#touched_order + 1] = t
  end
end

--#include firing

local function fire(t, cause)
  redis.call(unpack(firing_args(KEYS[8], t.id, t.kind, cause, now_ms, {}, t.params, MAX_PARAMS)))
  t.fired = t.fired + 1
  fired_total = fired_total + 1
  if t.mode == 'once' then t.done = true end
  firing_counts[t.kind] = (firing_counts[t.kind] or 0) + 1
  touch(t)
end

-- Judged on the running value after each entry: fires on a crossing into the condition while armed,
-- re-arms on a crossing back out.
local function on_counter(c, entry_id)
  local list = by_counter[c]
  if not list then return end
  local v = vals[c]
  for _, t in ipairs(list) do
    if not t.done then
      local holds = (t.op == '>=' and v >= t.value) or (t.op == '<=' and v <= t.value)
      if holds and t.armed then
        t.armed, t.armed_changed = false, true
        fire(t, entry_id)
      elseif not holds and not t.armed then
        t.armed, t.armed_changed = true, true
        touch(t)
      end
    end
  end
end

local function on_event(rec)
  local list = by_type[rec.type]
  if not list then return end
  for _, t in ipairs(list) do
    if not t.done then
      local ok = true
      if type(t.match) == 'table' then
        for k, v in pairs(t.match) do
          if rec.fields['p.' .. k] ~= v then ok = false; break end
        end
      end
      if ok then fire(t, rec.id) end
    end
  end
end

-- The most firings an entry can cause: the active triggers it is matched against (an event's matching
-- ones exactly; a counter's threshold triggers as an upper bound, since a crossing depends on the value).
local function would_fire(rec)
  local n = 0
  if rec.type then
    for _, t in ipairs(by_type[rec.type] or {}) do
      if not t.done then
        local ok = true
        if type(t.match) == 'table' then
          for k, v in pairs(t.match) do
            if rec.fields['p.' .. k] ~= v then ok = false; break end
          end
        end
        if ok then n = n + 1 end
      end
    end
  elseif rec.counter and rec.op ~= 'unique' then
    for _, t in ipairs(by_counter[rec.counter] or {}) do
      if not t.done then n = n + 1 end
    end
  end
  return n
end

-- True when applying the k-th entry of a call could pass MAX_FIRINGS; the first entry always applies.
local function over_budget(k, rec)
  return k > 1 and not rec.dead and fired_total + would_fire(rec) > MAX_FIRINGS
end

-- Writes the state of every trigger that fired or changed its armed flag, and drops finished once
-- triggers from their index.
local function save_triggers()
  local finished = {}
  for _, t in ipairs(touched_order) do
    if t.fired > 0 then
      redis.call('HINCRBY', KEYS[7], t.id .. ':fireCount', t.fired)
      redis.call('HSET', KEYS[7], t.id .. ':lastFiredAt', now_ms)
    end
    if t.done then
      redis.call('HSET', KEYS[7], t.id .. ':status', 'fired')
      redis.call('HDEL', KEYS[7], t.id .. ':armed')
      finished[t.id] = true
    elseif t.armed_changed then
      redis.call('HSET', KEYS[7], t.id .. ':armed', t.armed and '1' or '0')
    end
  end
  local function prune(index, lists)
    for name, ids in pairs(lists) do
      local keep = {}
      for _, id in ipairs(ids) do
        if not finished[id] and not stale[id] then keep[#keep + 1] = id end
      end
      if #keep < #ids then
        if #keep == 0 then redis.call('HDEL', index, name)
        else redis.call('HSET', index, name, table.concat(keep, ' ')) end
      end
    end
  end
  prune(KEYS[10], counter_ids)
  prune(KEYS[9], type_ids)
end

-- ---------- series and unique counts ----------

local pf_members, pf_order = {}, {}       -- HyperLogLog key -> members to add (one PFADD per key)
local cells, cell_order = {}, {}          -- bucket hash -> counter -> {n, exact, dirty}; hashes in order
local expire_at, expire_order = {}, {}    -- series key -> retention deadline (index score)
local series_counts = {}                  -- 'late.<w>' / 'overflow.<w>' -> n
local bucket_names = {}                   -- window -> start -> 'window:start' (saves a format per entry)

local function pf_add(key, member)
  local list = pf_members[key]
  if not list then list = {}; pf_members[key] = list; pf_order[#pf_order + 1] = key end
  list[#list + 1] = member
end

local function index_key(key, deadline)
  if not expire_at[key] then expire_order[#expire_order + 1] = key end
  expire_at[key] = deadline
end

-- The time an entry counts at, the time its lateness is judged at, and whether its id lies in the future.
local function entry_time(rec)
  local id_ms = tonumber(string.match(rec.id, '^%d+'))
  local ts = rec.ts and tonumber(rec.ts)
  local now = now_clock()
  if id_ms > now + FUTURE then
    if ts and ts >= 0 and ts <= now + FUTURE then return ts, now, true end
    return now, now, true
  end
  if ts and ts >= 0 and ts <= id_ms + FUTURE then return ts, id_ms end
  return id_ms, id_ms
end

local function bucket_name(w, start)
  local per = bucket_names[w]
  if not per then per = {}; bucket_names[w] = per end
  local name = per[start]
  if not name then name = w .. ':' .. fmt(start); per[start] = name end
  return name
end

-- Works out every bucket the batch's windowed entries go to and reads the current sums of the
-- (bucket, counter) cells they touch, one HMGET per bucket hash, before the first write. An entry
-- whose bucket ended more than the window's retention before its id time is marked late.
local function plan_windows(recs)
  local wanted = {}
  for _, rec in ipairs(recs) do
    if not rec.dead and rec.windows then
      local t, id_ms, future = entry_time(rec)
      local list = {}
      if future then rec.future = true end
      for _, w in ipairs(rec.windows) do
        local win = WINDOWS[w]
        local start = t - (t % win.len)
        local deadline = start + win.len + win.keep
        if deadline <= id_ms then
          list[#list + 1] = {late = 'late.' .. w}
        elseif rec.op == 'unique' then
          list[#list + 1] = {key = KEYS[12] .. bucket_name(w, start) .. ':' .. rec.counter, deadline = deadline}
        else
          local key = KEYS[13] .. bucket_name(w, start)
          list[#list + 1] = {key = key, w = w, deadline = deadline}
          local per = wanted[key]
          if not per then per = {names = {}, seen = {}}; wanted[key] = per; cell_order[#cell_order + 1] = key end
          if not per.seen[rec.counter] then
            per.seen[rec.counter] = true
            per.names[#per.names + 1] = rec.counter
          end
        end
      end
      rec.buckets = list
    end
  end
  for _, key in ipairs(cell_order) do
    local names = wanted[key].names
    local stored = hmget(key, names)
    local per = {}
    for i, c in ipairs(names) do
      local v = stored[i]
      if not v then per[c] = {n = 0, exact = true}
      else per[c] = {n = tonumber(v), exact = tonumber(v) ~= nil and #v <= 15 and int64(v) ~= nil} end
    end
    cells[key] = per
  end
end

-- Adds an applied entry to its buckets: the delta (a decimal string) for incr/decr, the member for
-- unique. Sums are kept in Lua and written once per bucket hash; a sum beyond exact Lua arithmetic
-- goes through HINCRBY under pcall, whose overflow is counted and leaves that cell unchanged.
local function add_windows(rec, delta)
  if rec.future then
    for _, w in ipairs(rec.windows) do
      series_counts['future.' .. w] = (series_counts['future.' .. w] or 0) + 1
    end
  end
  for _, b in ipairs(rec.buckets) do
    if b.late then
      series_counts[b.late] = (series_counts[b.late] or 0) + 1
    else
      if delta == nil then
        pf_add(b.key, rec.member)
      else
        local cell = cells[b.key][rec.counter]
        local d = tonumber(delta)
        local r = cell.exact and (cell.n + d) or nil
        if r and d > -LIM and d < LIM and r > -LIM and r < LIM then
          cell.n, cell.dirty = r, true
        else
          if cell.dirty then redis.call('HSET', b.key, rec.counter, fmt(cell.n)); cell.dirty = false end
          local res = redis.pcall('HINCRBY', b.key, rec.counter, delta)
          if type(res) == 'table' and res.err then
            local k = 'overflow.' .. b.w
            series_counts[k] = (series_counts[k] or 0) + 1
          else
            cell.n, cell.exact = res, res > -LIM and res < LIM
          end
        end
      end
      index_key(b.key, b.deadline)
    end
  end
end

-- Writes the batch's series and unique data: one PFADD per HyperLogLog, one HSET per bucket hash, one
-- ZADD for the retention index. PFADD and the index are idempotent; the sums are written only by the
-- script that moves the checkpoint, so a replay adds nothing twice.
local function flush_series()
  for _, key in ipairs(pf_order) do
    local list = pf_members[key]
    for from = 1, #list, CHUNK do
      redis.call('PFADD', key, unpack(list, from, math.min(#list, from + CHUNK - 1)))
    end
  end
  for _, key in ipairs(cell_order) do
    local hset = {}
    for c, cell in pairs(cells[key]) do
      if cell.dirty then
        hset[#hset + 1] = c
        hset[#hset + 1] = fmt(cell.n)
        if #hset >= 2 * CHUNK then redis.call('HSET', key, unpack(hset)); hset = {} end
      end
    end
    if #hset > 0 then redis.call('HSET', key, unpack(hset)) end
  end
  local zadd = {}
  for _, key in ipairs(expire_order) do
    zadd[#zadd + 1] = fmt(expire_at[key])
    zadd[#zadd + 1] = key
    if #zadd >= 2 * CHUNK then
      redis.call('ZADD', KEYS[14], unpack(zadd))
      zadd = {}
    end
  end
  if #zadd > 0 then redis.call('ZADD', KEYS[14], unpack(zadd)) end
end

local function apply_ops(recs)
  local dirty = {}
  local function flush(c)
    if dirty[c] then
      redis.call('HSET', KEYS[3], c, fmt(vals[c]))
      dirty[c] = nil
    end
  end
  local cut = nil
  for k, rec in ipairs(recs) do
    if over_budget(k, rec) then cut = k; break end
    if rec.dead then
      dead_letter('ops', rec)
    else
      local c, op = rec.counter, rec.op
      if op == 'unique' then
        pf_add(KEYS[11] .. c, rec.member)
        if rec.windows then add_windows(rec, nil) end
      elseif op == 'reset' then
        vals[c], exact[c], dirty[c] = 0, true, true
        on_counter(c, rec.id)
      elseif op == 'set' then
        local n = tonumber(rec.amount)
        if n > -LIM and n < LIM then
          vals[c], exact[c], dirty[c] = n, true, true
        else
          dirty[c] = nil
          redis.call('HSET', KEYS[3], c, rec.amount)
          vals[c], exact[c] = n, false
        end
        on_counter(c, rec.id)
      else
        local d = tonumber(rec.amount)
        local r = exact[c] and (vals[c] + d) or nil
        if r and d > -LIM and d < LIM and r > -LIM and r < LIM then
          vals[c], dirty[c] = r, true
          on_counter(c, rec.id)
          if rec.windows then add_windows(rec, rec.amount) end
        else
          flush(c)
          local res = redis.pcall('HINCRBY', KEYS[3], c, rec.amount)
          if type(res) == 'table' and res.err then
            rec.dead = string.find(res.err, 'overflow', 1, true) and 'overflow' or 'not_integer'
            rec.error = "counter '" .. c .. "': " .. op .. ' by ' .. rec.amount .. ' failed: ' .. res.err
            dead_letter('ops', rec)
          else
            vals[c], exact[c] = res, res > -LIM and res < LIM
            on_counter(c, rec.id)
            if rec.windows then add_windows(rec, rec.amount) end
          end
        end
      end
    end
  end
  local hset = {}
  for c, _ in pairs(dirty) do
    hset[#hset + 1] = c
    hset[#hset + 1] = fmt(vals[c])
    if #hset >= 2 * CHUNK then redis.call('HSET', KEYS[3], unpack(hset)); hset = {} end
  end
  if #hset > 0 then redis.call('HSET', KEYS[3], unpack(hset)) end
  flush_series()
  return cut
end

local function apply_events(recs)
  for k, rec in ipairs(recs) do
    if over_budget(k, rec) then return k end
    if rec.dead then dead_letter('events', rec) else on_event(rec) end
  end
  return nil
end

-- ---------- main ----------

local sources = {
  {key = KEYS[1], name = 'ops', cursor = ARGV[6], parse = parse_op, apply = apply_ops},
  {key = KEYS[2], name = 'events', cursor = ARGV[7], parse = parse_event, apply = apply_events},
}
local streams, cursors = {}, {}
for _, s in ipairs(sources) do
  if s.cursor ~= '' then
    streams[#streams + 1] = s.key
    cursors[#cursors + 1] = s.cursor
  end
end
local batch = read_batch(streams, cursors)

local plans = {}
for _, s in ipairs(sources) do
  if s.cursor ~= '' then
    plans[s.name] = plan(s.key, s.name, s.cursor, batch[s.key] or {}, s.parse)
  end
end

-- Everything the writes below depend on is read here, before the first write.
local function live(p) return p and p.state ~= 'GAP' and #p.apply > 0 end
if live(plans.ops) then
  local names = load_counters(plans.ops.apply)
  plan_windows(plans.ops.apply)
  counter_ids = index_lists(KEYS[10], names)
  load_triggers(counter_ids, by_counter)
end
if live(plans.events) then
  local types, seen = {}, {}
  for _, rec in ipairs(plans.events.apply) do
    if not rec.dead and not seen[rec.type] then
      seen[rec.type] = true
      types[#types + 1] = rec.type
    end
  end
  type_ids = index_lists(KEYS[9], types)
  load_triggers(type_ids, by_type)
end
if next(counter_ids) or next(type_ids) then
  now_ms = string.format('%.0f', now_clock())
end

local out = {'OK'}
for _, s in ipairs(sources) do
  local p = plans[s.name]
  if not p then
    for _, v in ipairs({'IDLE', '0', '0', '0', '0', '', '', ''}) do out[#out + 1] = v end
  elseif p.state == 'GAP' then
    -- Write nothing: the worker claims every pending entry and re-reads its own from the start.
    for _, v in ipairs({'GAP', tostring(#p.ack), '0', '0', '0', p.last, '', ''}) do out[#out + 1] = v end
  else
    if #p.apply > 0 then
      local cut = s.apply(p.apply)
      if cut then
        -- the firing budget is spent: entries from the cut on stay pending (neither applied nor acknowledged)
        for i = #p.ack, p.apply[cut].ack_at, -1 do p.ack[i] = nil end
        for i = #p.apply, cut, -1 do p.apply[i] = nil end
        p.state, p.last = 'MORE', p.apply[#p.apply].id
      end
      redis.call('HSET', KEYS[4], s.name, p.apply[#p.apply].id)
    end
    for from = 1, #p.ack, CHUNK do
      redis.call('XACK', s.key, GROUP, unpack(p.ack, from, math.min(#p.ack, from + CHUNK - 1)))
    end
    local dl = {}
    for reason, n in pairs(dead_counts[s.name] or {}) do dl[#dl + 1] = reason .. '=' .. n end
    for _, v in ipairs({p.state, tostring(#p.ack), tostring(#p.apply), tostring(p.redelivered),
                        tostring(p.deleted), p.last, table.concat(dl, ','), stamps(p.apply)}) do
      out[#out + 1] = v
    end
  end
end
save_triggers()
local fc = {}
for kind, n in pairs(firing_counts) do fc[#fc + 1] = kind .. '=' .. n end
out[#out + 1] = table.concat(fc, ',')
local sc = {}
for k, n in pairs(series_counts) do sc[#sc + 1] = k .. '=' .. n end
out[#out + 1] = table.concat(sc, ',')
return out
