-- Tally repair_stream_ids script: brings one input stream whose ids a writer pushed far ahead of Redis
-- time (an explicit XADD id years ahead, or the maximal 18446744073709551615-18446744073709551615) back
-- to ids XADD * can continue from, without losing or doubling an entry. Called again and again by
-- `tally repair stream-ids` until it answers RESET or OK; each call is atomic.
--
-- An entry is "future" when its id's ms lie more than ARGV[2] ms ahead of Redis TIME. Stream ids only
-- grow, so the future entries are the stream's newest. While any of them is not yet applied (above the
-- checkpoint) nothing is written: the processors apply it first, and its effect then stays.
--   1. Each call moves up to ARGV[3] future entries, all applied, to the dlq (reason 'future_id',
--      'applied' = 1 so that nobody replays them, fields copied as f.* bounded like every dead letter),
--      acknowledges them for the group and deletes them. Returns MOVED.
--   2. With no future entry left, it picks L = the largest of: Redis time as '<ms>-0', the newest
--      remaining entry, a checkpoint that is not future, every group's last-delivered id that is not
--      future. Then XSETID L (a future last id only), the checkpoint lowered to L if it was future (every
--      entry up to L is applied: all remaining entries are at or below the old checkpoint), and every
--      group whose last-delivered id was future set to L with ENTRIESREAD = entries-added (it had read
--      every entry there is, so its lag is 0). Entries XADD * appends next get ids above L, above the
--      checkpoint: they are applied, none skipped. Returns RESET.
-- MAXDELETEDID: XDEL recorded the deleted future id as the stream's largest deleted id, which XSETID
-- may not go below; it is set to 0-1 (it only serves XINFO's lag estimate, which is then exact for
-- groups set to L, and an upper bound otherwise).
--
-- KEYS[1] input stream (ops or events)   KEYS[2] checkpoint hash   KEYS[3] dlq stream
-- ARGV[1] topic ('ops' | 'events', the checkpoint field and the dead letters' source)
-- ARGV[2] tolerance ms   ARGV[3] most entries moved per call   ARGV[4] 'check' (read only) | 'repair'
--
-- Returns (strings):
--   {'NOSTREAM'}
--   {'OK', last id, checkpoint}                  nothing is future
--   {'UNAPPLIED', newest entry id, checkpoint}   a future entry is not applied yet: nothing written
--   {'GROUP', group, its last-delivered id}      another consumer group has not read (or still holds)
--                                                future entries: nothing written
--   {'MOVED', n, first id, last id}              n future entries moved to the dlq; call again
--   {'NOROOM', why}                              the dlq holds another type or has no ids for the
--                                                entries to move: nothing written
--   {'RESET', L, old last id, old checkpoint, new checkpoint, groups set to L}
--   {'CHECK', Redis time ms, last id, checkpoint, future entries (up to ARGV[3]), first future id,
--    group last-delivered id}                    with ARGV[4] = 'check'

local GROUP = 'tally'
local MAX_FIELDS = 1000
local topic, limit = ARGV[1], tonumber(ARGV[3])

--#include ids
--#include dead_letter

local SCRIPT = 'repair_stream_ids.lua'
--#include acl

local function max_id(a, b)
  if id_less(a, b) then return b end
  return a
end

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'NOSTREAM'}
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local horizon = string.format('%d', now + tonumber(ARGV[2]))
local first_future = string.format('%d', now + tonumber(ARGV[2]) + 1) .. '-0'

local function future(id)
  local ms = string.sub(id, 1, string.find(id, '-', 1, true) - 1)
  return digits_less(horizon, ms)
end

local function fields(flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return f
end

local info = fields(redis.call('XINFO', 'STREAM', KEYS[1]))
local last = info['last-generated-id']
local checkpoint = redis.call('HGET', KEYS[2], topic) or ''
if checkpoint ~= '' and not is_stream_id(checkpoint) then
  return redis.error_reply('ERR ' .. KEYS[2] .. ' field ' .. topic .. " holds '" .. string.sub(checkpoint, 1, 60)
      .. "', not a stream id; nothing was changed")
end
local groups = {}
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  groups[#groups + 1] = fields(g)
end

local moving = redis.call('XRANGE', KEYS[1], first_future, '+', 'COUNT', limit)

if ARGV[4] == 'check' then
  local delivered = ''
  for _, g in ipairs(groups) do
    if g['name'] == GROUP then delivered = g['last-delivered-id'] end
  end
  return {'CHECK', string.format('%d', now), last, checkpoint, tostring(#moving),
          #moving > 0 and moving[1][1] or '', delivered}
end

if #moving > 0 then
  local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1][1]
  if checkpoint == '' or id_less(checkpoint, newest) then
    return {'UNAPPLIED', newest, checkpoint}
  end
  local ours = false
  for _, g in ipairs(groups) do
    if g['name'] == GROUP then
      ours = true
    elseif id_less(g['last-delivered-id'], newest) then
      return {'GROUP', g['name'], g['last-delivered-id']}
    elseif g['pending'] > 0 and #redis.call('XPENDING', KEYS[1], g['name'], first_future, '+', 1) > 0 then
      return {'GROUP', g['name'], g['last-delivered-id']}
    end
  end
  -- the dlq's XADDs are checked before the first: a dlq of another type, or without ids for every
  -- entry, would fail the script after it had moved some
  local full = stream_room_problem(KEYS[3], #moving)
  if full then
    return {'NOROOM', full}
  end
  -- the XACK and XDEL after each dead letter's XADD are checked against the user's ACL before the first
  -- (include/acl.lua): refused there, the entries would stay and the next call would dead-letter them again
  local refusal = (ours and denied('XACK', KEYS[1], GROUP, moving[1][1])) or denied('XDEL', KEYS[1], moving[1][1])
  if refusal then
    return refusal
  end
  for _, e in ipairs(moving) do
    local id, flat = e[1], e[2]
    local args = dead_letter_args(KEYS[3], 'future_id', 'stream id ' .. id .. ' lay more than ' .. ARGV[2]
        .. ' ms ahead of Redis time; the entry was applied, then removed by tally repair stream-ids (do not replay it)',
      topic, id, flat, MAX_FIELDS)
    args[#args + 1] = 'applied'
    args[#args + 1] = '1'
    redis.call(unpack(args))
    if ours then
      redis.call('XACK', KEYS[1], GROUP, id)
    end
    redis.call('XDEL', KEYS[1], id)
  end
  return {'MOVED', tostring(#moving), moving[1][1], moving[#moving][1]}
end

local cp_future = checkpoint ~= '' and future(checkpoint)
local need = future(last) or cp_future
for _, g in ipairs(groups) do
  need = need or future(g['last-delivered-id'])
end
if not need then
  return {'OK', last, checkpoint}
end

local target = string.format('%d', now) .. '-0'
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #newest > 0 then target = max_id(target, newest[1][1]) end
if checkpoint ~= '' and not cp_future then target = max_id(target, checkpoint) end
for _, g in ipairs(groups) do
  if not future(g['last-delivered-id']) then target = max_id(target, g['last-delivered-id']) end
end

-- every write of the reset is checked against the user's ACL before the first (include/acl.lua): refused
-- part-way, the stream's last id, the checkpoint and the groups would disagree until the next call
local future_groups = false
for _, g in ipairs(groups) do
  future_groups = future_groups or future(g['last-delivered-id'])
end
local refusal = (future(last) and denied('XSETID', KEYS[1], target, 'MAXDELETEDID', '0-1'))
  or (cp_future and denied('HSET', KEYS[2], topic, target))
  or (future_groups and denied_sub('XGROUP', 'SETID', KEYS[1], GROUP, target, 'ENTRIESREAD', '0'))
if refusal then
  return refusal
end

if future(last) then
  if id_less(target, info['max-deleted-entry-id']) then
    redis.call('XSETID', KEYS[1], target, 'MAXDELETEDID', '0-1')
  else
    redis.call('XSETID', KEYS[1], target)
  end
end
local new_checkpoint = checkpoint
if cp_future then
  new_checkpoint = target
  redis.call('HSET', KEYS[2], topic, target)
end
local reset = 0
for _, g in ipairs(groups) do
  if future(g['last-delivered-id']) then
    redis.call('XGROUP', 'SETID', KEYS[1], g['name'], target, 'ENTRIESREAD',
      string.format('%d', info['entries-added']))
    reset = reset + 1
  end
end
return {'RESET', target, last, checkpoint, new_checkpoint, tostring(reset)}
