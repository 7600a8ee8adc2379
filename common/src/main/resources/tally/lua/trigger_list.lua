-- Lists one page of a partition's triggers, optionally filtered by status and kind (read only).
-- KEYS[1] triggers hash
-- ARGV[1] HSCAN cursor   ARGV[2] COUNT hint   ARGV[3] status ('' any)   ARGV[4] kind ('' any)
-- Returns {next cursor, then per trigger: id, definition, status, fireCount, lastFiredAt, createdAt,
-- canceledAt ('' when absent)}.
local r = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local out = {r[1]}
local flat = r[2]
for i = 1, #flat, 2 do
  local id = flat[i]
  -- Definitions are the fields without ':' (state fields are '<id>:<name>').
  if not string.find(id, ':', 1, true) then
    local def = flat[i + 1]
    -- any program may write the hash: a definition that does not decode matches no kind
    local decoded, d = pcall(cjson.decode, def)
    local kind_ok = ARGV[4] == '' or (decoded and type(d) == 'table' and d.kind == ARGV[4])
    if kind_ok then
      local s = redis.call('HMGET', KEYS[1], id .. ':status', id .. ':fireCount', id .. ':lastFiredAt',
        id .. ':createdAt', id .. ':canceledAt')
      if ARGV[3] == '' or s[1] == ARGV[3] then
        out[#out + 1] = id
        out[#out + 1] = def
        for j = 1, 5 do out[#out + 1] = s[j] or '' end
      end
    end
  end
end
return out
