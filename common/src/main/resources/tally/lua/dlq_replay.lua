-- Replays one dead letter: re-appends its original fields (the f.* fields, prefix removed) to the
-- source stream and deletes the dead letter, in one script so the entry is neither lost nor doubled.
-- KEYS[1] dlq stream   KEYS[2] source stream (same partition)
-- ARGV[1] dead-letter id   ARGV[2] expected source ('ops' | 'events')
-- Returns the new entry id, or '' when the dead letter no longer exists. A letter marked 'applied'
-- (its entry took effect before it was moved here, as repair_stream_ids.lua does) is refused.
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then
  return ''
end
local flat = found[1][2]
local source
local applied = false
local args = {'XADD', KEYS[2], '*'}
for i = 1, #flat, 2 do
  local name = flat[i]
  if name == 'source' then
    source = flat[i + 1]
  elseif name == 'applied' then
    applied = flat[i + 1] == '1'
  elseif string.sub(name, 1, 2) == 'f.' then
    args[#args + 1] = string.sub(name, 3)
    args[#args + 1] = flat[i + 1]
  end
end
if source ~= ARGV[2] then
  return redis.error_reply('dlq_replay: dead letter ' .. ARGV[1] .. ' has source ' .. tostring(source)
    .. ', expected ' .. ARGV[2])
end
if applied then
  return redis.error_reply('dlq_replay: dead letter ' .. ARGV[1] .. ' was applied before it was moved to the '
    .. 'dead letters; replaying it would apply it twice (purge it instead)')
end
if #args == 3 then
  return redis.error_reply('dlq_replay: dead letter ' .. ARGV[1] .. ' has no original f.* fields to replay')
end
local id = redis.call(unpack(args))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
