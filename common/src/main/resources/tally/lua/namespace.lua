-- Fixes the namespace's partition count, partition tag rule and dedupe layout on first use and returns
-- the stored ones. A namespace that exists keeps what it has: one without a 'partition-tags' field keeps
-- the tags {p<i>}, one without a 'dedupe' field a key per operation id.
-- KEYS[1] meta hash   ARGV[1] P to store when the namespace is new   ARGV[2] tag rule to store then
-- ARGV[3] dedupe layout to store then
-- The HSET after HSETNX is checked against the user's ACL before it (include/acl.lua): refused there, the new
-- namespace would keep its P without its tag rule and dedupe layout, read ever after as the defaults.
local SCRIPT = 'namespace.lua'
--#include acl
local refusal = denied('HSET', KEYS[1], 'partition-tags', ARGV[2])
if refusal then
  return refusal
end
if redis.call('HSETNX', KEYS[1], 'partitions', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'partition-tags', ARGV[2], 'dedupe', ARGV[3])
end
return redis.call('HMGET', KEYS[1], 'partitions', 'partition-tags', 'dedupe')
