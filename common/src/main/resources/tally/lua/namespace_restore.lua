-- Stores a namespace's meta whatever is there: a processor restoring a namespace Redis lost keeps the P,
-- the partition tags its partitions were read with and the dedupe layout its producers use.
-- KEYS[1] meta hash   ARGV[1] P   ARGV[2] partition tag rule, '' for the tags {p<i>} (no field)
-- ARGV[3] dedupe layout, '' for a key per id (no field)
-- another program's key of another type there is replaced: meta is this namespace's, and nothing runs
-- on it until it is a hash again
-- Not ACL-checked (include/acl.lua): refused part-way, the retry sets the same fields to the same values.
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then
  redis.call('DEL', KEYS[1])
end
redis.call('HSET', KEYS[1], 'partitions', ARGV[1])
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'partition-tags')
else
  redis.call('HSET', KEYS[1], 'partition-tags', ARGV[2])
end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], 'dedupe')
else
  redis.call('HSET', KEYS[1], 'dedupe', ARGV[3])
end
return 'OK'
