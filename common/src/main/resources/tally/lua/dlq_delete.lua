-- Deletes dead letters by id, the ids passed as the strings Redis wrote (see dlq_page.lua).
-- KEYS[1] dlq stream   ARGV ids   Returns how many were deleted.
return redis.call('XDEL', KEYS[1], unpack(ARGV))
