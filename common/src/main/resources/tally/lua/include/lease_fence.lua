-- Whether the partition's lease key holds this processor's lease value: the fence of every script that writes
-- a partition's state. Any program may write the key: one of another type (Redis's WRONGTYPE) holds nobody's
-- lease, so the script answers LEASE_LOST and the processor hands the partition back and takes it over as
-- lease.lua reads it (owned by '(<type>)'), instead of the error pausing it. Any other refusal (NOPERM, ...) is
-- raised as Redis gave it.
local function holds_lease(key, value)
  local owner = redis.pcall('GET', key)
  if type(owner) == 'table' and owner.err then
    if string.find(owner.err, 'WRONGTYPE', 1, true) then return false end
    error(owner)
  end
  return owner == value
end
