-- Creates the 'tally' consumer group at id 0 (never '$', so entries written before any processor
-- ran are applied) on each stream of one partition, with MKSTREAM. Returns how many it created.
-- KEYS: the partition's input streams   ARGV[1] group name
local created = 0
for i = 1, #KEYS do
  local ok = redis.pcall('XGROUP', 'CREATE', KEYS[i], ARGV[1], '0', 'MKSTREAM')
  if type(ok) == 'table' and ok.err then
    if not string.find(ok.err, 'BUSYGROUP', 1, true) then return redis.error_reply(ok.err) end
  else
    created = created + 1
  end
end
return created
