-- ---------- decoding ----------

local function to_map(flat)
  local f = {}
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
  return f
end

local OPS = {incr = true, decr = true, set = true, reset = true, unique = true}

local windows_ok = {}
local function windows_problem(op, s)
  if op == 'set' or op == 'reset' then
    return "field 'windows' is only allowed on incr, decr and unique (" .. op .. ' changes the total only)'
  end
  if windows_ok[s] then return nil, windows_ok[s] end
  if s == '' then return "field 'windows' is empty" end
  local list, seen = {}, {}
  for w in string.gmatch(s .. ',', '([^,]*),') do
    if not WINDOWS[w] then
      local shown = #w <= 40 and w or (string.sub(w, 1, 40) .. '...')
      local allowed = string.gsub(ARGV[8] or '', ':%d+:%d+', '')
      return "field 'windows' has window '" .. shown .. "' that is not configured (allowed: " .. allowed .. ')'
    end
    if seen[w] then return "field 'windows' names window '" .. w .. "' twice" end
    seen[w] = true
    list[#list + 1] = w
  end
  windows_ok[s] = list
  return nil, list
end

-- Returns a parsed op record, or nil and (reason, error).
local function parse_op(f)
  local op = f.op
  if op == nil then return nil, 'missing_field', "missing field 'op'" end
  if not OPS[op] then
    local shown = #op <= 40 and op or (string.sub(op, 1, 40) .. '...')
    return nil, 'unknown_op', "field 'op' has unknown operation '" .. shown .. "' (expected incr, decr, set, reset or unique)"
  end
  local r, e = routing_problem('counter', f.counter)
  if r then return nil, r, e end
  r, e = common_problem(f)
  if r then return nil, r, e end
  local windows = nil
  if f.windows ~= nil then
    e, windows = windows_problem(op, f.windows)
    if e then return nil, 'bad_windows', e end
  end
  local amount = nil
  if op == 'unique' then
    r, e = name_problem('member', f.member)
    if r then return nil, r, e end
    return {op = op, counter = f.counter, member = f.member, windows = windows, ts = f.ts}
  elseif op == 'incr' or op == 'decr' then
    amount = f.by or '1'
    r, e = number_problem('by', amount)
    if r then return nil, r, e end
    if op == 'decr' then
      if amount == '0' then
      elseif string.byte(amount, 1) == 45 then amount = string.sub(amount, 2)
      else amount = '-' .. amount end
      if int64(amount) == nil then
        return nil, 'overflow', "field 'by': decr by " .. f.by .. ' cannot be negated in 64 bits'
      end
    end
  elseif op == 'set' then
    amount = f.value
    r, e = number_problem('value', amount)
    if r then return nil, r, e end
  end
  return {op = op, counter = f.counter, amount = amount, windows = windows, ts = f.ts}
end

local function parse_event(f)
  local r, e = routing_problem('type', f.type)
  if r then return nil, r, e end
  r, e = common_problem(f)
  if r then return nil, r, e end
  local params = 0
  for k, v in pairs(f) do
    if string.sub(k, 1, 2) == 'p.' then
      params = params + 1
      if params > MAX_PARAMS then
        return nil, 'too_many_params', 'the event has more than ' .. MAX_PARAMS .. ' parameters'
      end
      local shown = #k <= 40 and k or string.sub(k, 1, 40)
      r, e = name_problem('param name', string.sub(k, 3))
      if r then return nil, r, e .. " (field '" .. shown .. "')" end
      if #v > MAX_PARAM_BYTES then
        return nil, 'too_large', "field '" .. shown .. "' is " .. #v .. ' bytes, at most ' .. MAX_PARAM_BYTES .. ' allowed'
      end
    end
  end
  return {type = f.type, fields = f}
end

