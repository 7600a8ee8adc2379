-- Fixes the namespace's partition count on first use and returns the stored one.
-- KEYS[1] meta hash   ARGV[1] P to store when the namespace is new
redis.call('HSETNX', KEYS[1], 'partitions', ARGV[1])
return redis.call('HGET', KEYS[1], 'partitions')
