-- Lists the triggers of one HSCAN call over a partition's triggers hash, optionally filtered by status and kind
-- (read only). A listing page takes a call's triggers whole or not at all, never some of them: a page that ended
-- inside a call could only go on by repeating it, and a repeated call covers other buckets once the hash changed,
-- skipping triggers present throughout (RedisTriggerClient.listPage, PageBound).
-- KEYS[1] triggers hash
-- ARGV[1] HSCAN cursor   ARGV[2] COUNT   ARGV[3] status ('' any)   ARGV[4] kind ('' any)
-- ARGV[5] most triggers and ARGV[6] most bytes (ids, definitions and state fields) the page can still take:
--   a call holding more is left whole (nothing of it is returned) for the next page
-- ARGV[7] '1' when the page holds nothing yet and the call is of the page's initial COUNT: then the call is taken
--   whole whatever it holds (a grown COUNT on an empty page is left like any other call that does not fit)
-- ARGV[8] most bytes of one trigger Tally stores (its id, definition and state fields)
-- ARGV[9] most bytes of definitions a call not taken whole may decode to judge their kind: one that would decode more
--   is answered '2' (nothing returned), and the service calls the same cursor again with a smaller COUNT, so that a
--   kind-filtered call holds Redis a bounded time however large the definitions it visits
-- Returns {next cursor, '1' when the call is taken ('0' when left, '2' over ARGV[9]), bytes taken, n, then n oversize triggers as id,
-- largest field, its bytes, then per trigger: id, definition, status, fireCount, lastFiredAt, createdAt, canceledAt
-- ('' when absent)}.
-- Triggers are found by their status fields ('<id>:status'), so a call reads no definition it does not return
-- (except to judge its kind); a definition without a status is not one Tally stored and is not listed.
-- Only another program stores a trigger past ARGV[8]: it is returned as oversize, by the sizes of its fields
-- (HSTRLEN) without reading them, so that a call's reply (built in Lua, then held by the service) stays within
-- ARGV[8] a trigger however large the fields another program wrote.
local most, room, whole, cap = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] == '1', tonumber(ARGV[8])
local budget, decoded = tonumber(ARGV[9]), 0
local r = redis.call('HSCAN', KEYS[1], ARGV[1], 'MATCH', '*:status', 'COUNT', ARGV[2])

-- any program may write the hash: a definition that does not decode matches no kind
local function of_kind(def)
  if ARGV[4] == '' then return true end
  local decoded, d = pcall(cjson.decode, def)
  return decoded and type(d) == 'table' and d.kind == ARGV[4]
end

local STATE = {':fireCount', ':lastFiredAt', ':createdAt', ':canceledAt'}
local listed, oversize = {}, {}
local seen, taken, bytes = {}, 0, 0
local flat = r[2]
for i = 1, #flat, 2 do
  local id = string.sub(flat[i], 1, -8)
  -- a state field of a trigger id holds no ':' (HSCAN may return a field twice while the hash is resized)
  if not seen[id] and not string.find(id, ':', 1, true) and (ARGV[3] == '' or flat[i + 1] == ARGV[3]) then
    seen[id] = true
    local size, largest, largestSize = #id + #flat[i + 1], flat[i], #flat[i + 1]
    local defSize = redis.call('HSTRLEN', KEYS[1], id)
    for _, f in ipairs({'', unpack(STATE)}) do
      local n = f == '' and defSize or redis.call('HSTRLEN', KEYS[1], id .. f)
      size = size + n
      if n > largestSize then largest, largestSize = id .. f, n end
    end
    local stored = defSize > 0 or redis.call('HEXISTS', KEYS[1], id) == 1
    local entry
    if stored and size > cap then
      entry = {id, largest, tostring(largestSize)}
    elseif stored then
      if ARGV[4] ~= '' and not whole then
        decoded = decoded + defSize
        if decoded > budget then return {r[1], '2', 0, 0} end
      end
      local s = redis.call('HMGET', KEYS[1], id, id .. ':status', id .. ':fireCount', id .. ':lastFiredAt',
        id .. ':createdAt', id .. ':canceledAt')
      if s[1] and of_kind(s[1]) then
        entry = {id}
        for j = 1, 6 do entry[j + 1] = s[j] or '' end
      end
    end
    if entry then
      local n = 0
      for _, v in ipairs(entry) do n = n + #v end
      taken, bytes = taken + 1, bytes + n
      -- stop reading as soon as the call is known not to fit: the page leaves it whole
      if not whole and (taken > most or bytes > room) then return {r[1], '0', 0, 0} end
      local into = #entry == 3 and oversize or listed
      for _, v in ipairs(entry) do into[#into + 1] = v end
    end
  end
end
local out = {r[1], '1', bytes, #oversize / 3}
for _, v in ipairs(oversize) do out[#out + 1] = v end
for _, v in ipairs(listed) do out[#out + 1] = v end
return out
