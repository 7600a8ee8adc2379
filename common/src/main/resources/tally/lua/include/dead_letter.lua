-- The XADD of a dead letter: the reason, the error, where the entry came from, then the entry's
-- fields copied as 'f.<name>' up to max_fields; past that 'truncated' (the entry's field count) and
-- 'raw' (cmsgpack of the whole field list), so that no unpack ever sees a list whose length the
-- entry decides.
local function dead_letter_args(dlq, reason, err, source, source_id, flat, max_fields)
  local args = {'XADD', dlq, '*', 'reason', reason, 'error', err, 'source', source, 'source_id', source_id}
  local fields = math.floor(#flat / 2)
  local copied = math.min(fields, max_fields)
  for i = 1, 2 * copied, 2 do
    args[#args + 1] = 'f.' .. flat[i]
    args[#args + 1] = flat[i + 1]
  end
  if copied < fields then
    args[#args + 1] = 'truncated'
    args[#args + 1] = tostring(fields)
    args[#args + 1] = 'raw'
    args[#args + 1] = cmsgpack.pack(flat)
  end
  return args
end
