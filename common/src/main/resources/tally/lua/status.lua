-- Read-only snapshot of one partition for `tally status` and metrics.
-- KEYS[1] lease   KEYS[2] ops stream   KEYS[3] events stream   KEYS[4] checkpoint hash   KEYS[5] dlq stream
-- ARGV[1] consumer group
-- Returns {owner or '', Redis time ms, dlq length, then for ops and for events:
--   length, last applied id or '', lag or -1 (unknown), pending, oldest pending id or ''}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {redis.call('GET', KEYS[1]) or '', now, redis.call('XLEN', KEYS[5])}
local fields = {'ops', 'events'}
for i = 2, 3 do
  local len, lag, pending, oldest = 0, -1, 0, ''
  if redis.call('EXISTS', KEYS[i]) == 1 then
    len = redis.call('XLEN', KEYS[i])
    lag = len
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[i])) do
      local f = {}
      for j = 1, #g, 2 do f[g[j]] = g[j + 1] end
      if f['name'] == ARGV[1] then
        pending = f['pending'] or 0
        lag = f['lag']
        if type(lag) ~= 'number' then lag = -1 end
        if pending > 0 then
          local first = redis.call('XPENDING', KEYS[i], ARGV[1], '-', '+', 1)
          if #first > 0 then oldest = first[1][1] end
        end
      end
    end
  end
  local applied = redis.call('HGET', KEYS[4], fields[i - 1]) or ''
  out[#out + 1] = len
  out[#out + 1] = applied
  out[#out + 1] = lag
  out[#out + 1] = pending
  out[#out + 1] = oldest
end
return out
