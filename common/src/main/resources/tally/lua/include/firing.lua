-- A trigger's stored fireCount as a firing adds to it: the canonical decimal of a non-negative integer
-- below 2^53 ('0', or digits without a leading zero), the only form Tally writes and one Lua adds to
-- exactly; anything else ('007', '-1', '1e3', ' 7', 2^53, text) counts as 0, so that a value another
-- program wrote neither fails the write that saves the count nor is read two ways by two scripts.
local function stored_fire_count(s)
  if not s or #s > 16 or not string.find(s, '^[1-9]%d*$') then return 0 end
  local n = tonumber(s)
  if n < 9007199254740992 then return n end
  return 0
end
-- The XADD of a firing to a partition's firings stream: firing_id (trigger id ':' cause, the
-- consumers' dedupe key), trigger, kind, cause, fired_at, then what extra lists (name, value, ...),
-- then the trigger's params as 'p.<name>', at most max_params string or number values: the trigger
-- API stores no more, a stored definition written by anyone else may.
local function firing_args(firings, trigger_id, kind, cause, fired_at, extra, params, max_params)
  local args = {'XADD', firings, '*', 'firing_id', trigger_id .. ':' .. cause, 'trigger', trigger_id,
                'kind', kind, 'cause', cause, 'fired_at', fired_at}
  for i = 1, #extra do args[#args + 1] = extra[i] end
  if params then
    local n = 0
    for k, v in pairs(params) do
      local tk, tv = type(k), type(v)
      if (tv == 'string' or tv == 'number') and (tk == 'string' or tk == 'number') then
        args[#args + 1] = 'p.' .. k
        args[#args + 1] = v
        n = n + 1
        if n == max_params then break end
      end
    end
  end
  return args
end
