-- ---------- validation helpers (keep in step with io.tally.common.internal.wire.WireFormat) ----------

-- Library functions as locals: a global lookup per call is a measurable share of the per-entry cost.
local bxor, band, rshift, bnot = bit.bxor, bit.band, bit.rshift, bit.bnot
local byte, find, tostring, tonumber = string.byte, string.find, tostring, tonumber

local function crc32(s)
  local crc = -1
  for i = 1, #s do
    crc = bxor(rshift(crc, 8), CRC_TABLE[band(bxor(crc, byte(s, i)), 255) + 1])
  end
  crc = bnot(crc)
  if crc < 0 then crc = crc + 4294967296 end
  return crc
end

-- Returns nil when s is valid UTF-8 without control characters (C0, DEL, C1), else the reason.
local function utf8_problem(s)
  if not string.find(s, '[^\32-\126]') then return nil end
  local i, n = 1, #s
  while i <= n do
    local c = string.byte(s, i)
    if c < 32 or c == 127 then return 'control_char' end
    if c < 128 then
      i = i + 1
    else
      local len, min, cp
      if c >= 194 and c <= 223 then len, min, cp = 2, 128, c - 192
      elseif c >= 224 and c <= 239 then len, min, cp = 3, 2048, c - 224
      elseif c >= 240 and c <= 244 then len, min, cp = 4, 65536, c - 240
      else return 'bad_utf8' end
      if i + len - 1 > n then return 'bad_utf8' end
      for j = i + 1, i + len - 1 do
        local cc = string.byte(s, j)
        if cc < 128 or cc > 191 then return 'bad_utf8' end
        cp = cp * 64 + (cc - 128)
      end
      if cp < min or cp > 1114111 or (cp >= 55296 and cp <= 57343) then return 'bad_utf8' end
      if cp >= 128 and cp <= 159 then return 'control_char' end
      i = i + len
    end
  end
  return nil
end

local name_ok = {}
local function name_problem(field, s)
  if s == nil then return 'missing_field', "missing field '" .. field .. "'" end
  if name_ok[s] then return nil end
  if #s == 0 then return 'empty_field', "field '" .. field .. "' is empty" end
  if #s > 200 then
    return 'too_long', "field '" .. field .. "' is " .. #s .. ' bytes of UTF-8, at most 200 allowed'
  end
  local p = utf8_problem(s)
  if p == 'control_char' then return p, "field '" .. field .. "' contains a control character" end
  if p then return p, "field '" .. field .. "' is not valid UTF-8" end
  name_ok[s] = true
  return nil
end

local home_ok = {}
local function routing_problem(field, s)
  local r, e = name_problem(field, s)
  if r then return r, e end
  if home_ok[s] then return nil end
  local home = crc32(s) % partitions
  if home ~= partition then
    return 'wrong_partition', "field '" .. field .. "' routes to partition " .. home .. ', entry is on partition ' .. partition
  end
  home_ok[s] = true
  return nil
end

-- Canonical signed 64-bit decimal (docs/wire-format.md; DecimalBytes and WireFormat in Java): an optional
-- '-', then '0' alone or digits without a leading zero ('-0', '007', '+5', ' 5', '0.5', '1e3' are not),
-- within the signed 64-bit range. Returns its (possibly rounded) number, or nil.
local function int64(s)
  if not find(s, '^%-?[1-9]%d*$') then
    if s == '0' then return 0 end
    return nil
  end
  local neg = byte(s, 1) == 45
  local digits = neg and #s - 1 or #s
  if digits < 19 then return tonumber(s) end
  if digits > 19 then return nil end
  if string.sub(s, neg and 2 or 1) > (neg and '9223372036854775808' or '9223372036854775807') then return nil end
  return tonumber(s)
end

local function number_problem(field, s)
  if s == nil then return 'missing_field', "missing field '" .. field .. "'" end
  if int64(s) == nil then
    local shown = #s <= 40 and s or (string.sub(s, 1, 40) .. '...')
    return 'bad_number', "field '" .. field .. "' is not a canonical signed 64-bit integer: '" .. shown .. "'"
  end
  return nil
end

local function common_problem(f)
  if f.id ~= nil then
    local r, e = name_problem('id', f.id)
    if r then return r, e end
  end
  if f.ts ~= nil then return number_problem('ts', f.ts) end
  return nil
end

