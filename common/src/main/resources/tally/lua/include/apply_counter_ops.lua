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

-- The most dead letters applying recs (after load_counters) can write: the entries judged dead already,
-- and every incr/decr of a counter whose running value might leave exact Lua arithmetic: only there
-- does HINCRBY judge overflow and not_integer per entry, after the first write. A counter stays exact
-- when its stored value is and its value plus every amount and set value of the batch, all taken
-- positive, is below 2^53 (a sum of integers that reaches 2^53 in doubles never rounds below it).
local function dead_letter_bound(recs)
  local n, reach, changes = 0, {}, {}
  for _, rec in ipairs(recs) do
    if rec.dead then
      n = n + 1
    elseif rec.amount then
      local c = rec.counter
      reach[c] = (reach[c] or math.abs(exact[c] and vals[c] or LIM)) + math.abs(tonumber(rec.amount))
      if rec.op ~= 'set' then changes[c] = (changes[c] or 0) + 1 end
    end
  end
  for c, k in pairs(changes) do
    if reach[c] >= LIM then n = n + k end
  end
  return n
end
