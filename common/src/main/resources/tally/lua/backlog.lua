-- Backlog of one partition's input streams: for each stream, the slowest consumer group's lag plus
-- its pending count (XINFO GROUPS). A group whose lag Redis cannot compute counts the whole stream.
-- KEYS: streams of one partition. Returns one reply per stream: an integer, at most 2^62 (any program
-- may set a stream's entries-added (XSETID ... ENTRIESADDED) so that a lag reaches 2^63, which Redis
-- would turn from a Lua number into a negative integer: no backlog), or, for a key another program made
-- of another type, that type's name (e.g. 'string'): its backlog cannot be read, and the caller says so
-- naming the key, while the partition's other stream is still measured. Reads only.
local MAX = 2 ^ 62
local out = {}
for i = 1, #KEYS do
  local kind = redis.call('TYPE', KEYS[i])['ok']
  if kind == 'stream' then
    local worst = 0
    local len = redis.call('XLEN', KEYS[i])
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[i])) do
      local f = {}
      for j = 1, #g, 2 do f[g[j]] = g[j + 1] end
      local lag = f['lag']
      if type(lag) ~= 'number' then lag = len end
      local backlog = lag + (f['pending'] or 0)
      if backlog > worst then worst = backlog end
    end
    out[#out + 1] = math.min(worst, MAX)
  elseif kind == 'none' then
    out[#out + 1] = 0
  else
    out[#out + 1] = kind
  end
end
return out
