-- Claims firings left pending longer than min-idle (a dead consumer's, or this consumer's own failed
-- ones) for this consumer, and moves those already delivered more than max-deliveries times to the
-- firings dead-letter stream (acknowledged there, so they leave the pending list).
-- KEYS[1] firings stream   KEYS[2] firings dead-letter stream
-- ARGV[1] group   ARGV[2] consumer   ARGV[3] min idle ms   ARGV[4] max deliveries   ARGV[5] count
-- ARGV[6] cursor
-- Returns {next cursor, dead-lettered count, deleted count, id1, {fields...}, deliveries1, id2, ...}.
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[6], 'COUNT', ARGV[5])
local entries = r[2]
local out = {r[1], 0, #(r[3] or {})}
if #entries == 0 then
  return out
end
local deliveries = {}
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entries[1][1], entries[#entries][1], #entries + 1000,
  ARGV[2])
for _, p in ipairs(pending) do deliveries[p[1]] = p[4] end

local max = tonumber(ARGV[4])
local dead = 0
for _, e in ipairs(entries) do
  local id, flat, n = e[1], e[2], deliveries[e[1]] or 1
  if n > max then
    local args = {'XADD', KEYS[2], '*', 'source_id', id, 'group', ARGV[1], 'deliveries', tostring(n - 1)}
    for i = 1, #flat, 2 do
      args[#args + 1] = 'f.' .. flat[i]
      args[#args + 1] = flat[i + 1]
    end
    redis.call(unpack(args))
    redis.call('XACK', KEYS[1], ARGV[1], id)
    dead = dead + 1
  else
    out[#out + 1] = id
    out[#out + 1] = flat
    out[#out + 1] = n
  end
end
out[2] = dead
return out
