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

-- Makes every unique entry that would add to a key that is not a valid HyperLogLog (its counter's, or a
-- bucket's of its windows: written by someone else, PFADD would fail after the batch's first write) a
-- dead letter, not_hll. Each key is checked once per batch, before the first write (hll_problem).
local function check_unique(recs)
  local problems = {}
  local function problem(key)
    local p = problems[key]
    if p == nil then
      p = hll_problem(key) or false
      problems[key] = p
    end
    return p
  end
  for _, rec in ipairs(recs) do
    if not rec.dead and rec.op == 'unique' then
      local p = problem(KEYS[11] .. rec.counter)
      for _, b in ipairs(rec.buckets or {}) do
        if p then break end
        if b.key then p = problem(b.key) end
      end
      if p then
        rec.dead = 'not_hll'
        rec.error = "counter '" .. rec.counter .. "': " .. p .. ' (written by someone else); the member was not added'
      end
    end
  end
end

-- Adds an applied entry to its buckets: the delta (a decimal string) for incr/decr, the member for
-- unique. Sums are kept in Lua and written once per bucket hash; a sum beyond exact Lua arithmetic (or a
-- cell holding what someone else wrote) goes through HINCRBY under pcall, whose overflow (or not_integer)
-- is counted and leaves that cell unchanged.
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
            -- the sum would leave 64 bits, or the cell holds what someone else wrote
            local k = (string.find(res.err, 'overflow', 1, true) and 'overflow.' or 'not_integer.') .. b.w
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

