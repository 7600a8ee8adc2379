-- Creates the 'tally' consumer group at id 0 (never '$', so entries written before any processor
-- ran, or after Redis lost its data, are applied) on each stream of one partition, with MKSTREAM.
-- Returns a bit mask of the streams whose group it created (bit i-1 for KEYS[i]): a processor that
-- finds a group missing while it runs reports that Redis lost state.
-- KEYS: the partition's input streams   ARGV[1] group name
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
