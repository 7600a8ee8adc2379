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
-- The stored values of the batch's counter names serve load_counters, so the batch reads the hash
-- once. A name found there is still checked like any other (UTF-8, routing): any program may write
-- the hash, and a name it put there must not make an entry that belongs elsewhere count here.
-- Reads only, before any write.
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
    preloaded[name] = stored[i]
  end
end

local function plan(key, source, cursor, entries, parse)
  local checkpoint = read_checkpoint(KEYS[4], source)
  -- A batch comes in id order, so once one entry is past the checkpoint all later ones are too.
  local past = false
  local p = {ack = {}, apply = {}, redelivered = 0, deleted = 0, deleted_at = {}, last = '', state = 'OK'}
  if source == 'ops' then preload_counters(entries) end
  for _, entry in ipairs(entries) do
    local id, flat = entry[1], entry[2]
    if not flat or flat == false then
      p.deleted = p.deleted + 1
      p.ack[#p.ack + 1] = id
      p.deleted_at[#p.ack] = true -- a cut that leaves it pending must not report it lost
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

