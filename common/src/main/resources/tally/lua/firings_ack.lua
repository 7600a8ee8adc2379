-- Acknowledges one handled firing and, for a redelivered one, removes the error an earlier delivery
-- recorded, in one step. The id travels as a string (it may lie past 2^63).
-- KEYS[1] firings stream   KEYS[2] firings errors hash
-- ARGV[1] group   ARGV[2] entry id   ARGV[3] '1' to remove the recorded error
-- Returns the number of entries acknowledged (0 when it was no longer pending).
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
-- Not ACL-checked (include/acl.lua): an HDEL refused is an error reply pcall keeps; the firing stays acknowledged
-- once, and only its recorded error stays in the hash.
if ARGV[3] == '1' then
  redis.pcall('HDEL', KEYS[2], ARGV[2] .. ' ' .. ARGV[1]) -- a key of another type holds no error of ours
end
return acked
