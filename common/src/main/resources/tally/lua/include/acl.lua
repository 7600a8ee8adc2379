-- Redis checks a script's commands against the calling user's ACL one at a time, as they run. A command
-- the user may not run, met after the script's first write, stops the call with its earlier writes made
-- and an error that tells nothing of them, and a retry makes them again. So a script that writes more
-- than once asks here, before its first write, about every command and key it will write, and refuses
-- with NOPERM (in the form Redis's own NOPERM has, naming the command) having written nothing.
-- The including script names itself in a local SCRIPT set just before the include (LuaScriptTest checks it).
local function noperm(command, key)
  return redis.error_reply("NOPERM this user may not run the '" .. command .. "' command on '" .. key
      .. "', which " .. SCRIPT .. ' needs after its first write; the call was refused before it')
end
-- Returns that reply, or nil when the user may run it.
local function denied(command, key, ...)
  if not redis.acl_check_cmd(command, key, ...) then
    return noperm(string.lower(command), key)
  end
end
-- The same for a command whose subcommand comes before the key (XGROUP CREATE, XGROUP SETID), named as Redis
-- names it ('xgroup|create').
local function denied_sub(command, subcommand, key, ...)
  if not redis.acl_check_cmd(command, subcommand, key, ...) then
    return noperm(string.lower(command) .. '|' .. string.lower(subcommand), key)
  end
end
