-- Read-only: Redis time and the last generated id of a partition's input streams, for the processor's
-- check of stream ids that a writer pushed far ahead (see StreamIdHorizon). XINFO STREAM is the one
-- place Redis tells the last generated id, which stays after its entry is deleted and decides what
-- XADD * may produce.
-- KEYS: [1] ops stream, [2] events stream
-- Returns strings: Redis time (ms), then the last generated id of ops and of events ('' when the stream
-- does not exist).
local t = redis.call('TIME')
local out = { string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) }
for i = 1, 2 do
  local last = ''
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local info = redis.call('XINFO', 'STREAM', KEYS[i])
    for j = 1, #info, 2 do
      if info[j] == 'last-generated-id' then last = info[j + 1] end
    end
  end
  out[#out + 1] = last
end
return out
