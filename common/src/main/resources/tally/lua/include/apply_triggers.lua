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

-- A stored head or definition as this script uses it, or nil when it is not one that the trigger API writes
-- (broken JSON, a threshold without a number, a kind that is not a string): such a trigger is left alone,
-- neither fired nor pruned, so that nothing a stored value holds can fail a write below. A definition
-- brings its params; a head has none (params_ready reads them from the definition when the trigger fires).
-- state: the armed flag and fire count read beside it.
local function trigger_record(id, json, state, is_head)
  local ok, d = pcall(cjson.decode, json)
  if not ok or type(d) ~= 'table' or type(d.kind) ~= 'string' then return nil end
  local t = {id = id, kind = d.kind, mode = d.mode, op = d.op, value = tonumber(d.value),
             match = type(d.match) == 'table' and d.match or nil,
             params = not is_head and type(d.params) == 'table' and d.params or nil, params_unread = is_head,
             armed = state.armed, fire_count = state.fire_count, fired = 0, done = false, armed_changed = false}
  if t.kind == 'threshold' and ((t.op ~= '>=' and t.op ~= '<=') or t.value == nil or t.value ~= t.value) then
    return nil
  end
  return t
end

--#include firing

-- HMGET of these fields of the triggers hash, at most 2,000 a command: unpack stays far below Lua's limit.
local function read_trigger_fields(fields)
  local out = {}
  for from = 1, #fields, 2000 do
    local got = read_key('hash', 'HMGET', KEYS[7], unpack(fields, from, math.min(#fields, from + 1999)))
    for k = 1, #got do out[#out + 1] = got[k] end
  end
  return out
end

-- Loads the active triggers listed in the given index entries: head (the definition without params, which
-- trigger_create.lua stores as '<id>:head'), status, armed flag, fire count. A trigger stored without a head
-- (by an earlier version) loads from its whole definition, params and all; one with neither is stale.
local function load_triggers(lists, target)
  local ids, owners, fields = {}, {}, {}
  for name, list in pairs(lists) do
    for _, id in ipairs(list) do
      ids[#ids + 1] = id
      owners[#owners + 1] = name
      fields[#fields + 1] = id .. ':head'
      fields[#fields + 1] = id .. ':status'
      fields[#fields + 1] = id .. ':armed'
      fields[#fields + 1] = id .. ':fireCount'
    end
  end
  local records, headless, definitions = {}, {}, {}
  local got = read_trigger_fields(fields)
  for i, id in ipairs(ids) do
    local j = 4 * i - 3
    if got[j + 1] ~= 'active' then
      stale[id] = true
    else
      local state = {armed = got[j + 2] == '1', fire_count = stored_fire_count(got[j + 3])}
      if got[j] then
        records[i] = trigger_record(id, got[j], state, true)
      else
        headless[#headless + 1] = {i = i, state = state}
        definitions[#definitions + 1] = id
      end
    end
  end
  local stored = read_trigger_fields(definitions)
  for k, h in ipairs(headless) do
    if not stored[k] then
      stale[ids[h.i]] = true
    else
      records[h.i] = trigger_record(ids[h.i], stored[k], h.state, false)
    end
  end
  for i = 1, #ids do
    if records[i] then
      local list = target[owners[i]] or {}
      list[#list + 1] = records[i]
      target[owners[i]] = list
    end
  end
end

-- True when t may fire: its params are known. A trigger loaded from its head reads them from its definition
-- the first time it would fire in this call, after the first write: the triggers hash was read above (HMGET,
-- so this HMGET of it can fail neither on its type nor on the user's ACL) and the decode runs under pcall.
-- Then, as for a trigger loaded from its definition, a definition that is not one (no JSON object with a
-- string kind) leaves the trigger alone (not fired, status and index entry as they are) and a missing one
-- makes it stale (dropped from its index, whose writes apply.lua checked before the first write since this
-- call loaded a trigger).
local function params_ready(t)
  if t.params_unread then
    t.params_unread = false
    local json = redis.call('HMGET', KEYS[7], t.id)[1]
    local ok, d = pcall(cjson.decode, json or '')
    if not ok or type(d) ~= 'table' or type(d.kind) ~= 'string' then
      t.done, t.broken = true, true
      if not json then stale[t.id] = true end
    elseif type(d.params) == 'table' then
      t.params = d.params
    end
  end
  return not t.broken
end

local function touch(t)
  if not touched[t.id] then
    touched[t.id] = t
    touched_order[#touched_order + 1] = t
  end
end

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
        if params_ready(t) then
          t.armed, t.armed_changed = false, true
          fire(t, entry_id)
        end
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
      if ok and params_ready(t) then fire(t, rec.id) end
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

-- The most firings one call can append (before any write): an entry fires at most would_fire, and past
-- the first entry of each stream the budget stops a batch at MAX_FIRINGS firings.
local function firing_bound(batches)
  local all, firsts = 0, 0
  for _, recs in ipairs(batches) do
    for k, rec in ipairs(recs) do
      local n = rec.dead and 0 or would_fire(rec)
      all = all + n
      if k == 1 then firsts = firsts + n end
    end
  end
  return math.min(all, MAX_FIRINGS + firsts)
end

-- Writes the state of every trigger that fired or changed its armed flag, and drops finished once
-- triggers from their index (and their head, which only matching reads).
local function save_triggers()
  local finished = {}
  for _, t in ipairs(touched_order) do
    if t.fired > 0 then
      redis.call('HSET', KEYS[7], t.id .. ':fireCount', fmt(t.fire_count + t.fired),
                 t.id .. ':lastFiredAt', now_ms)
    end
    if t.done and not t.broken then
      redis.call('HSET', KEYS[7], t.id .. ':status', 'fired')
      redis.call('HDEL', KEYS[7], t.id .. ':armed', t.id .. ':head')
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

