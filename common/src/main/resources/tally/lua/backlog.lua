-- Backlog of one partition's input streams: for each stream, the slowest consumer group's lag plus
-- its pending count (XINFO GROUPS). A group whose lag Redis cannot compute counts the whole stream.
-- KEYS: streams of one partition. Returns one integer per stream, at most 2^62: any program may set a
-- stream's entries-added (XSETID ... ENTRIESADDED) so that a lag reaches 2^63, which Redis would turn
-- from a Lua number into a negative integer (no backlog).
local MAX = 2 ^ 62
local out = {}
for i = 1, #KEYS do
  local worst = 0
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local len = redis.call('XLEN', KEYS[i])
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[i])) do
      local f = {}
      for j = 1, #g, 2 do f[g[j]] = g[j + 1] end
      local lag = f['lag']
      if type(lag) ~= 'number' then lag = len end
      local backlog = lag + (f['pending'] or 0)
      if backlog > worst then worst = backlog end
    end
  end
  out[#out + 1] = math.min(worst, MAX)
end
return out
