-- Partition lease on Redis time (PX). KEYS[1] lease key
-- ARGV[1] 'acquire' | 'renew' | 'release' | 'peek'   ARGV[2] our lease value   ARGV[3] TTL ms
-- ARGV[4] (acquire, optional) the value of a silent owner, one membership dropped: its lease is taken
-- over at once instead of when it expires; the new value fences every script the silent one still runs.
-- acquire/renew/release return 1 on success, 0 otherwise; peek returns the owner or ''.
-- Another program may leave a key of another type there: its owner reads as '(<type>)', a value no
-- processor has (theirs end in ':<token>'), so that it is taken over like a silent owner's, and the
-- other partitions of the pipelined call are not refused with it.
-- Each operation makes one write: nothing to check against the ACL before it (include/acl.lua).
local op, me = ARGV[1], ARGV[2]
local owner = redis.pcall('GET', KEYS[1])
if type(owner) == 'table' and owner.err then
  owner = '(' .. redis.call('TYPE', KEYS[1]).ok .. ')'
end
if op == 'peek' then
  return owner or ''
elseif op == 'acquire' then
  if not owner or (ARGV[4] and ARGV[4] ~= '' and owner == ARGV[4]) then
    redis.call('SET', KEYS[1], me, 'PX', ARGV[3])
    return 1
  end
  if owner == me then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return 1
  end
  return 0
elseif op == 'renew' then
  if owner == me then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return 1
  end
  return 0
elseif op == 'release' then
  if owner == me then
    redis.call('DEL', KEYS[1])
    return 1
  end
  return 0
end
return redis.error_reply('lease.lua: unknown operation ' .. tostring(op))
