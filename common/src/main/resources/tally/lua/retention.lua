-- Trims a stream of a partition without ever removing an entry that some consumer group has not
-- acknowledged: MINID is at most the smallest, over all groups, of the oldest pending id and the
-- successor of the last-delivered id. Fenced by the lease.
--   Input streams (no ARGV[2]): trimmed to that floor alone; a stream without groups is left as it is.
--   Output streams (firings, firings-dlq, dlq: ARGV[2] = retention ms): trimmed by age on Redis time,
--   entry ids carrying the time they were appended (MINID <now - retention>-0), never past the floor;
--   a stream without groups is trimmed by age alone.
-- KEYS[1] stream   KEYS[2] lease   ARGV[1] lease value   ARGV[2] retention ms (optional)
-- Returns {'OK', entries trimmed} or {'LEASE_LOST'}.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {'LEASE_LOST'}
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'OK', 0} end

local function fmt(n) return string.format('%.0f', n) end
local function parse_id(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
local function less(a, b)
  local am, as = parse_id(a)
  local bm, bs = parse_id(b)
  return am < bm or (am == bm and as < bs)
end

local floor = nil
if ARGV[2] then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  floor = fmt(now - tonumber(ARGV[2])) .. '-0'
end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local f = {}
  for j = 1, #g, 2 do f[g[j]] = g[j + 1] end
  local candidate
  local summary = redis.call('XPENDING', KEYS[1], f['name'])
  if summary[1] > 0 then
    candidate = summary[2]
  else
    local ms, seq = parse_id(f['last-delivered-id'])
    candidate = fmt(ms) .. '-' .. fmt(seq + 1)
  end
  if floor == nil or less(candidate, floor) then floor = candidate end
end
if floor == nil then return {'OK', 0} end
return {'OK', redis.call('XTRIM', KEYS[1], 'MINID', floor)}
