-- Redis checks a script's commands against the calling user's ACL one at a time, as they run. A command
-- the user may not run, met after the script's first write, stops the call with its earlier writes made
-- and an error that tells nothing of them, and a retry makes them again. So a script that writes more
-- than once asks here, before its first write, about every command and key it will write, and refuses
-- with NOPERM (in the form Redis's own NOPERM has, naming the command) having written nothing.
-- Returns that reply, or nil when the user may run it.
local function acl_refusal(script, command, key, ...)
  if not redis.acl_check_cmd(command, key, ...) then
    return redis.error_reply("NOPERM this user may not run the '" .. string.lower(command) .. "' command on '"
        .. key .. "', which " .. script .. ' needs after its first write; the call was refused before it')
  end
end
-- The same for a command whose subcommand comes before the key (XGROUP CREATE, XGROUP SETID), named as Redis
-- names it ('xgroup|create').
local function acl_refusal_sub(script, command, subcommand, key, ...)
  if not redis.acl_check_cmd(command, subcommand, key, ...) then
    return redis.error_reply("NOPERM this user may not run the '" .. string.lower(command) .. '|'
        .. string.lower(subcommand) .. "' command on '" .. key .. "', which " .. script
        .. ' needs after its first write; the call was refused before it')
  end
end
