-- Begins a producer session (docs/architecture.md, "Idempotent producer sessions"): a number no other
-- session of the namespace has had and the Redis time the session began, as '<n>:<start ms>'.
-- append_runs.lua lets a session start numbering on a stream only within its first hour, so a number
-- that Redis hands out again (it lost the counter: a restart without persistence, a failover) never
-- continues an old session's sequences.
-- The counter is checked before INCR, its only write: a value that is not a whole number below 10^15 - 1
-- (Lua's numbers are exact below 2^53, so two sessions never get one name) is an error and changes
-- nothing.
-- KEYS[1] the namespace's session counter; no ARGV
if #KEYS ~= 1 or #ARGV ~= 0 then
  return redis.error_reply('ERR producer_session: needs the session counter as its only key and no arguments')
end
local held = redis.pcall('GET', KEYS[1])
if type(held) == 'table' then
  return redis.error_reply('ERR producer_session: session counter: ' .. tostring(held.err))
end
if held and held ~= '0' and not (#held <= 15 and string.match(held, '^[1-9]%d*$') and held ~= string.rep('9', 15)) then
  return redis.error_reply('ERR producer_session: the session counter ' .. KEYS[1] .. ' holds '
      .. string.sub(held, 1, 40) .. ', not a whole number below 10^15 - 1; nothing was written')
end
local n = redis.call('INCR', KEYS[1])
local t = redis.call('TIME')
return string.format('%.0f:%.0f', n, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
