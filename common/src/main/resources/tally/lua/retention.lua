-- Trims a partition's input stream without ever removing an entry that some consumer group has not
-- acknowledged: MINID is the smallest, over all groups, of the oldest pending id and the successor
-- of the last-delivered id. Fenced by the lease. KEYS[1] stream   KEYS[2] lease   ARGV[1] lease value
-- Returns {'OK', entries trimmed} or {'LEASE_LOST'}.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {'LEASE_LOST'}
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'OK', 0} end

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
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return {'OK', 0} end
for _, g in ipairs(groups) do
  local f = {}
  for j = 1, #g, 2 do f[g[j]] = g[j + 1] end
  local candidate
  local summary = redis.call('XPENDING', KEYS[1], f['name'])
  if summary[1] > 0 then
    candidate = summary[2]
  else
    local ms, seq = parse_id(f['last-delivered-id'])
    candidate = string.format('%.0f', ms) .. '-' .. string.format('%.0f', seq + 1)
  end
  if floor == nil or less(candidate, floor) then floor = candidate end
end
local trimmed = redis.call('XTRIM', KEYS[1], 'MINID', floor)
return {'OK', trimmed}
