-- Creates the 'tally' consumer group at id 0 (never '$', so entries written before any processor
-- ran, or after Redis lost its data, are applied) on each stream of one partition, with MKSTREAM.
-- Returns a bit mask of the streams whose group it created (bit i-1 for KEYS[i]): a processor that
-- finds a group missing while it runs reports that Redis lost state.
-- Any program may write these keys: a key of another type is refused, naming it, before any group is
-- created (a group made on the first stream would otherwise stay, and the mask of the next call would
-- not report it).
-- KEYS: the partition's input streams   ARGV[1] group name
-- (XINFO GROUPS, not TYPE: both users' ACLs grant it; it answers WRONGTYPE for a key of another type)
for i = 1, #KEYS do
  local groups = redis.pcall('XINFO', 'GROUPS', KEYS[i])
  if type(groups) == 'table' and groups.err and string.find(groups.err, 'WRONGTYPE', 1, true) then
    return redis.error_reply('WRONGTYPE ensure_groups: ' .. KEYS[i] .. ' holds no stream; no consumer group was '
      .. 'created')
  end
end
-- One command on several keys, but an ACL may grant it on some keys only: each key is checked before the first
-- group is created (include/acl.lua), or a retry would not report a group this call created.
local SCRIPT = 'ensure_groups.lua'
--#include acl
for i = 2, #KEYS do
  local refusal = denied_sub('XGROUP', 'CREATE', KEYS[i], ARGV[1], '0', 'MKSTREAM')
  if refusal then
    return refusal
  end
end
local created = 0
for i = 1, #KEYS do
  local ok = redis.pcall('XGROUP', 'CREATE', KEYS[i], ARGV[1], '0', 'MKSTREAM')
  if type(ok) == 'table' and ok.err then
    if not string.find(ok.err, 'BUSYGROUP', 1, true) then return redis.error_reply(ok.err) end
  else
    created = created + 2 ^ (i - 1)
  end
end
return created
