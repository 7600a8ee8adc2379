-- Stream ids compared as decimals of digits, never as Lua numbers: numbers lose precision past 2^53,
-- and a writer may choose ids up to 18446744073709551615-18446744073709551615.
local function digits_less(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
-- True when stream id a sorts before stream id b.
local function id_less(a, b)
  local da, db = string.find(a, '-', 1, true), string.find(b, '-', 1, true)
  local ams, bms = string.sub(a, 1, da - 1), string.sub(b, 1, db - 1)
  if ams ~= bms then return digits_less(ams, bms) end
  return digits_less(string.sub(a, da + 1), string.sub(b, db + 1))
end
-- True when stream id a sorts after stream id b.
local function id_after(a, b)
  return id_less(b, a)
end
-- True when s is a stream id as Redis writes it: '<ms>-<seq>', each part a decimal without leading zeros of
-- at most 18446744073709551615. A checkpoint field any program may have written is checked with it before
-- the ids above compare it.
local function is_stream_id(s)
  local ms, seq = string.match(s, '^(%d+)%-(%d+)$')
  local function part(d)
    return (d == '0' or string.byte(d, 1) ~= 48) and not digits_less('18446744073709551615', d)
  end
  return ms ~= nil and part(ms) and part(seq)
end
-- A decimal of digits plus one, as digits; nil past 18446744073709551615, the largest id part.
local function digits_successor(s)
  if s == '18446744073709551615' then return nil end
  local i = #s
  while i > 0 and string.byte(s, i) == 57 do i = i - 1 end
  if i == 0 then return '1' .. string.rep('0', #s) end
  return string.sub(s, 1, i - 1) .. string.char(string.byte(s, i) + 1) .. string.rep('0', #s - i)
end
-- The smallest id after id, or nil when id is the largest there is.
local function id_successor(id)
  local dash = string.find(id, '-', 1, true)
  local ms, seq = string.sub(id, 1, dash - 1), string.sub(id, dash + 1)
  local next_seq = digits_successor(seq)
  if next_seq then return ms .. '-' .. next_seq end
  local next_ms = digits_successor(ms)
  return next_ms and next_ms .. '-0'
end
-- An integral number as decimal digits (never '-0', never an exponent).
local function fmt(n)
  if n == 0 then return '0' end
  return string.format('%.0f', n)
end
-- Why n more entries cannot be added to the stream at key with XADD '*', or nil when they can: the key
-- holds another type, or the stream's last id is too near the largest id (a writer may have put it
-- there, and XDEL keeps it there). A script calls it before its first write, so that an XADD it makes
-- later cannot fail after other writes. n stays far below 10^6.
-- Why n more entries cannot follow id last in the stream at key with XADD '*', or nil when they can.
local function id_room_problem(key, last, n)
  local ms, seq = string.match(last or '', '^(%d+)%-(%d+)$')
  if not ms then return key .. ' gave no last id' end
  -- XADD '*' moves to the next millisecond when it can: only the last one may run out, within 10^6 of
  -- the largest sequence when seq shares its first 14 digits
  if ms ~= '18446744073709551615' or #seq < 20 or string.sub(seq, 1, 14) ~= '18446744073709' then return nil end
  if 551615 - tonumber(string.sub(seq, 15)) >= n then return nil end
  return key .. ' has ids for ' .. (551615 - tonumber(string.sub(seq, 15))) .. ' more entries, not ' .. n
end
local function stream_room_problem(key, n)
  local kind = redis.call('TYPE', key)['ok']
  if kind == 'none' then return nil end
  if kind ~= 'stream' then return key .. ' holds a ' .. kind .. ', not a stream' end
  local info = redis.call('XINFO', 'STREAM', key)
  local last
  for i = 1, #info - 1, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] break end
  end
  return id_room_problem(key, last, n)
end
