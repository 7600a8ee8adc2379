-- The server's version, for the start-up check of a user that may not run INFO (the producer's ACL
-- line). KEYS[1] is a key of the partition whose master is asked: it routes the call and is not read.
-- Lua has redis.REDIS_VERSION from Redis 7.0 on; an older server returns ''.
return redis.REDIS_VERSION or ''
