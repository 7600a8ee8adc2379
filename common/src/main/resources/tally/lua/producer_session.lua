-- Begins a producer session (docs/architecture.md, "Idempotent producer sessions"): a number no other
-- session of the namespace has had and the Redis time the session began, as '<n>:<start ms>'.
-- append_runs.lua lets a session start numbering on a stream only within its first hour, so a number
-- that Redis hands out again (it lost the counter: a restart without persistence, a failover) never
-- continues an old session's sequences.
-- KEYS[1] the namespace's session counter
local n = redis.call('INCR', KEYS[1])
local t = redis.call('TIME')
return string.format('%.0f:%.0f', n, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
