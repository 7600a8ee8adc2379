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
--   state ('OK' | 'GAP' | 'IDLE' | 'VERSION:<v>' | 'MORE' or 'MORE:triggers': applied up to 'last id read', the rest of
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
-- write, from its head (the definition without params; a trigger stored without one, from its definition);
-- the params of a trigger loaded from its head are read from its definition when it first fires. Event triggers fire on each applied event whose parameters include all of 'match'; threshold
-- triggers fire when the running value after an entry crosses into the condition while armed, and
-- re-arm when it crosses back. A firing is an XADD to the firings stream with the state change in this
-- same script, so it happens exactly once with the checkpoint move.
-- Scripts do not roll back: everything is read and validated before the first write, and the one
-- write that can fail (HINCRBY overflow) runs under pcall and becomes a dead letter. Every other write
-- is made safe first (include/apply_keys.lua): the hashes written are read before (a key of another
-- type refuses the call, BADKEY, writing nothing), the dlq and firings streams must have ids left for
-- as many entries as the call may append, the series index must be a sorted set, and a unique entry
-- whose HyperLogLog is not one is a dead letter (not_hll).

--#include apply_crc32_table

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
-- Most active triggers one call loads and decodes past each stream's first entry (whose own triggers always
-- load, up to max-triggers-per-key each): at the byte cap of 'match', 1,000 heads are some 2 MB of JSON
-- (10 MB for triggers stored without a head), which Redis spends milliseconds on while it serves no one.
local MAX_TRIGGERS_LOADED = 1000

--#include lease_fence
if not holds_lease(KEYS[5], ARGV[1]) then
  return {'LEASE_LOST'}
end
-- Redis refuses a script's writes for maxmemory only at its first write, and only when that command may
-- grow memory; this script's first write is XREADGROUP, which is not such a command, so under a full
-- Redis every later write would pass. A SET XX of a key that never exists writes nothing but is such a
-- command: it raises OOM here, before anything is written, and the processor backs off.
redis.call('SET', KEYS[5] .. ':oom-probe', '', 'XX')

--#include apply_checks
-- ---------- stream ids ----------

--#include ids
--#include apply_keys

-- HMGET of any number of fields, CHUNK at a time; returns the values in order (false when missing).
-- The hashes read are those the script writes: one of another type refuses the call (BADKEY).
local function hmget(key, names)
  local out = {}
  for from = 1, #names, CHUNK do
    local got = read_key('hash', 'HMGET', key, unpack(names, from, math.min(#names, from + CHUNK - 1)))
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

--#include apply_decoding
--#include apply_batch
--#include apply_counter_ops
--#include apply_triggers
--#include apply_series
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
-- Stops a stream's batch before its entry number cut: that entry and every later one stay pending (neither
-- applied nor acknowledged) for the next call, which reads them again (state MORE for the firing budget,
-- MORE:triggers for the trigger budget).
local function cut_batch(p, cut, state)
  for i = #p.ack, p.apply[cut].ack_at, -1 do
    if p.deleted_at[i] then p.deleted = p.deleted - 1 end
    p.ack[i] = nil
  end
  for i = #p.apply, cut, -1 do p.apply[i] = nil end
  p.state, p.last = state, p.apply[#p.apply].id
end

-- Every active trigger of the batch's counters and event types is decoded (its head) in this call, whether it
-- fires or not: past the first entry of each stream, the batch stops before the entry whose counter or event type would
-- bring the triggers loaded past MAX_TRIGGERS_LOADED. Returns the index lists of the names kept.
local triggers_loaded = 0
local function within_trigger_budget(p, lists, name_of)
  if not next(lists) then return lists end
  local kept = {}
  for k, rec in ipairs(p.apply) do
    local name = not rec.dead and name_of(rec)
    local ids = name and not kept[name] and lists[name]
    if ids then
      if k > 1 and triggers_loaded + #ids > MAX_TRIGGERS_LOADED then
        cut_batch(p, k, 'MORE:triggers')
        break
      end
      kept[name] = ids
      triggers_loaded = triggers_loaded + #ids
    end
  end
  return kept
end

if live(plans.ops) then
  local names = load_counters(plans.ops.apply)
  plan_windows(plans.ops.apply)
  check_unique(plans.ops.apply)
  counter_ids = within_trigger_budget(plans.ops, index_lists(KEYS[10], names),
    function(rec) return rec.op ~= 'unique' and rec.counter end)
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
  type_ids = within_trigger_budget(plans.events, index_lists(KEYS[9], types), function(rec) return rec.type end)
  load_triggers(type_ids, by_type)
end
if next(counter_ids) or next(type_ids) then
  now_ms = string.format('%.0f', now_clock())
end

-- Every write below that could fail is checked here, before the first (BADKEY otherwise; see apply_keys).
-- The counters, checkpoint, triggers and index hashes were read above, so their type is known; HINCRBY
-- on a counter runs under pcall. What is left are the streams the call appends to, with as many entries
-- as it may append, and the series index.
do
  local batches, dead, windowed = {}, 0, false
  for _, name in ipairs({'ops', 'events'}) do
    local p = plans[name]
    if live(p) then
      batches[#batches + 1] = p.apply
      if name == 'ops' then
        dead = dead + dead_letter_bound(p.apply)
        for _, rec in ipairs(p.apply) do
          if not rec.dead and rec.buckets then
            for _, b in ipairs(rec.buckets) do windowed = windowed or b.key ~= nil end
          end
        end
      else
        for _, rec in ipairs(p.apply) do
          if rec.dead then dead = dead + 1 end
        end
      end
    end
  end
  if dead > 0 then require_room(KEYS[6], dead) end
  if next(by_counter) or next(by_type) then
    local firings = firing_bound(batches)
    if firings > 0 then require_room(KEYS[8], firings) end
  end
  if windowed then require_type(KEYS[14], 'zset') end
end

-- The commands the writes below call, on each key they write, are checked against the user's ACL
-- (include/acl.lua): a user denied one would otherwise stop the call halfway, and the retry apply the
-- batch's first entries again. Entries read by XREADGROUP above stay pending and are read again.
local SCRIPT = 'apply.lua'
--#include acl
do
  local asked = {}
  local function refusal(command, key, ...)
    local k = command .. ' ' .. key
    if asked[k] then return nil end
    asked[k] = true
    return denied(command, key, ...)
  end
  local function writes(p, key)
    local r
    if p and p.state ~= 'GAP' then
      if #p.apply > 0 then r = refusal('HSET', KEYS[4], 'f', 'v') end
      if #p.ack > 0 then r = r or refusal('XACK', key, GROUP, '0-1') end
    end
    return r
  end
  local r = writes(plans.ops, KEYS[1]) or writes(plans.events, KEYS[2])
  local counters, dead, series = false, false, #cell_order > 0
  for _, name in ipairs({'ops', 'events'}) do
    if live(plans[name]) then
      for _, rec in ipairs(plans[name].apply) do
        if rec.dead then
          dead = true
        elseif rec.op == 'unique' then
          r = r or refusal('PFADD', KEYS[11] .. rec.counter, 'm')
          for _, b in ipairs(rec.buckets or {}) do
            if b.key then r, series = r or refusal('PFADD', b.key, 'm'), true end
          end
        elseif rec.op then
          counters = true
        end
      end
    end
  end
  if counters then
    -- HINCRBY may overflow into a dead letter
    r = r or refusal('HSET', KEYS[3], 'f', 'v') or refusal('HINCRBY', KEYS[3], 'f', '1')
    dead = true
  end
  if dead then r = r or refusal('XADD', KEYS[6], '*', 'f', 'v') end
  for _, key in ipairs(cell_order) do
    r = r or refusal('HSET', key, 'f', 'v') or refusal('HINCRBY', key, 'f', '1')
  end
  if series then r = r or refusal('ZADD', KEYS[14], '1', 'm') end
  if next(by_counter) or next(by_type) then
    r = r or refusal('XADD', KEYS[8], '*', 'f', 'v') or refusal('HSET', KEYS[7], 'f', 'v')
        or refusal('HDEL', KEYS[7], 'f')
    for _, index in ipairs({KEYS[9], KEYS[10]}) do
      r = r or refusal('HSET', index, 'f', 'v') or refusal('HDEL', index, 'f')
    end
  end
  if next(stale) then
    -- save_triggers prunes ids no longer active from the indexes, after the checkpoint and XACK
    for _, index in ipairs({KEYS[9], KEYS[10]}) do
      r = r or refusal('HSET', index, 'f', 'v') or refusal('HDEL', index, 'f')
    end
  end
  if r then return r end
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
        -- the firing budget is spent
        cut_batch(p, cut, 'MORE')
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
