-- Lists one page of a partition's triggers, optionally filtered by status and kind (read only), bounded by
-- a number of triggers and by bytes. The triggers of one HSCAN call are taken in a fixed order of their
-- ids (before, below), so that a page ending inside a call goes on after the id it ended at by repeating
-- the call (same cursor and COUNT). The repeated call covers the same buckets only while the hash is as it was
-- (one that lost triggers reaches further buckets, one that shrank merges buckets into it), so a page ending
-- inside a call also returns a digest of the call's ids up to the last one taken; a repeated call whose ids up
-- to it give another digest takes all its triggers again (some may come twice), once per call, so that a hash
-- that keeps changing cannot keep a listing from advancing (ScanPosition says the same of its own digest).
-- KEYS[1] triggers hash
-- ARGV[1] HSCAN cursor   ARGV[2] COUNT hint   ARGV[3] status ('' any)   ARGV[4] kind ('' any)
-- ARGV[5] the last id a page took from this call ('' none): only ids after it are taken
-- ARGV[6] most triggers to take   ARGV[7] most bytes to take (ids, definitions and state fields)
-- ARGV[8] '1' when the page holds nothing yet: then the first trigger is taken whatever its size
-- ARGV[9] the digest the page that took ARGV[5] returned: '=' and 12 hex digits, '+' once the call was taken again
-- Returns {next cursor, cut ('1' when triggers of this call are left for the next page, else '0'), the last
-- id taken from this call ('' none: the same as ARGV[5]), bytes taken, the digest of the call's ids up to
-- that last id, then per trigger: id, definition, status, fireCount, lastFiredAt, createdAt, canceledAt ('' when
-- absent)}.
-- Triggers are found by their status fields ('<id>:status'), so a page reads no definition it does not
-- return (except to judge its kind); a definition without a status is not one Tally stored and is not
-- listed.
local after, limit, room = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local r = redis.call('HSCAN', KEYS[1], ARGV[1], 'MATCH', '*:status', 'COUNT', ARGV[2])

-- A total order of ids that every call of this server gives alike: Lua's '<' (the collation of Redis's
-- locale, byte order in the C locale), and byte order between distinct ids that a locale collates alike.
local function before(a, b)
  if a < b then return true end
  if a == b or b < a then return false end
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- any program may write the hash: a definition that does not decode matches no kind
local function of_kind(def)
  if ARGV[4] == '' then return true end
  local decoded, d = pcall(cjson.decode, def)
  return decoded and type(d) == 'table' and d.kind == ARGV[4]
end

local calls, seen = {}, {}
local flat = r[2]
for i = 1, #flat, 2 do
  local id = string.sub(flat[i], 1, -8)
  -- a state field of a trigger id holds no ':' (HSCAN may return a field twice while the hash is resized)
  if not seen[id] and not string.find(id, ':', 1, true) and (ARGV[3] == '' or flat[i + 1] == ARGV[3]) then
    seen[id] = true
    calls[#calls + 1] = id
  end
end
table.sort(calls, before)

-- 12 hex digits of the SHA-1 of the call's ids up to and including upto, in order, each as its length, ':' and
-- its bytes
local function digest(upto)
  local names = {}
  for _, id in ipairs(calls) do
    if before(upto, id) then break end
    names[#names + 1] = #id .. ':' .. id
  end
  return string.sub(redis.sha1hex(table.concat(names)), 1, 12)
end
local retaken = string.sub(ARGV[9], 1, 1) == '+'
local mark = retaken and '+' or '='
if after ~= '' and not retaken and '=' .. digest(after) ~= ARGV[9] then after, mark = '', '+' end

local ids = {}
for _, id in ipairs(calls) do
  if after == '' or before(after, id) then ids[#ids + 1] = id end
end
local out = {r[1], '0', after, 0, ''}
local taken, bytes = 0, 0
for _, id in ipairs(ids) do
  local s = redis.call('HMGET', KEYS[1], id, id .. ':status', id .. ':fireCount', id .. ':lastFiredAt',
    id .. ':createdAt', id .. ':canceledAt')
  if s[1] and of_kind(s[1]) then
    local size = #id
    for j = 1, 6 do size = size + #(s[j] or '') end
    if taken == limit or (bytes + size > room and not (ARGV[8] == '1' and taken == 0)) then
      out[2] = '1'
      break
    end
    out[#out + 1] = id
    for j = 1, 6 do out[#out + 1] = s[j] or '' end
    taken, bytes = taken + 1, bytes + size
    out[3] = id
  end
end
out[4] = bytes
if out[2] == '1' and out[3] ~= '' then out[5] = mark .. digest(out[3]) end
return out
