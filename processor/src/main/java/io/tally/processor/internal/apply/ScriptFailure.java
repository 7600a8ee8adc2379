package io.tally.processor.internal.apply;

import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.RedisFailures;
import io.tally.common.internal.resp.RespErrorReply;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisTimeoutException;

import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;

/**
 * Whose fault a failed script call is. Only a generic script error ({@code ERR} raised inside the script,
 * {@code @user_script} in its text: a Lua runtime error, a command called with arguments the entry made
 * invalid) may be the entry's fault; the batch is then narrowed to the entry that causes it. Redis 7.0's
 * in-script ACL denial has that shape too, but is the operator's: the apply scripts check every command they
 * write with before their first write (include/acl.lua), so a denied command met later is one they read with,
 * before any write. Every other
 * error reply (OOM, NOPERM, READONLY, LOADING, MASTERDOWN, BUSY, WRONGTYPE, and BADKEY: an apply script
 * found, before its first write, a key of the partition that cannot take its writes) is Redis's or the
 * operator's: the partition backs off and retries, and no entry is ever dead-lettered for it. A lost
 * connection or a timeout is not a reply at all and is left to the loop's own back-off.
 */
enum ScriptFailure {
    /** No reply (connection, timeout) or NOSCRIPT: the loop's business, not the partition's. */
    CONNECTION,
    /** Redis, or the script on a key of the partition, refused the call for a reason of its own or the operator's. */
    REDIS_REFUSED,
    /** The script raised an error: possibly an entry no rule anticipated. */
    SCRIPT_ERROR;

    /** Redis's " script: <sha>, on @user_script:N." and what a client appends after it (channel, command). */
    private static final Pattern SCRIPT_SUFFIX = Pattern.compile("\\s*script: [0-9a-f]{40}, on @user_script:\\d+\\..*$",
            Pattern.DOTALL);
    /** An error reply starts with its code: upper-case letters, then a space or the end. */
    private static final Pattern ERROR_CODE = Pattern.compile("^[A-Z]{2,}( |$)");
    private static final int MAX_TEXT = 1000;

    static ScriptFailure of(Throwable failure) {
        String text = redisText(failure);
        if (text == null || LuaScript.isNoScript(failure)) {
            return CONNECTION;
        }
        return text.startsWith("ERR ") && text.contains("@user_script") && !RedisFailures.isScriptDenied(text)
                ? SCRIPT_ERROR : REDIS_REFUSED;
    }

    /**
     * Redis's error text without the script's SHA and line suffix, at most {@value #MAX_TEXT} characters;
     * the whole message when the failure carries no error reply. Redis 7.0's in-script ACL denial names no
     * command: the text then says where to find it.
     */
    static String text(Throwable failure) {
        String text = redisText(failure);
        if (text == null) {
            text = String.valueOf(unwrap(failure).getMessage());
        }
        text = SCRIPT_SUFFIX.matcher(text).replaceFirst("");
        if (RedisFailures.isScriptDenied(text)) {
            text += " (ACL LOG names the command)"; // Redis 7.0 does not, inside a script
        }
        return text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) : text;
    }

    /** The error reply's own text, or null when Redis sent none (connection lost, timeout). */
    private static String redisText(Throwable failure) {
        Throwable e = unwrap(failure);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RespErrorReply) {
                return t.getMessage();
            }
        }
        if (e instanceof RedisException && !(e instanceof RedisConnectionException)
                && !(e instanceof RedisTimeoutException) && e.getMessage() != null
                && ERROR_CODE.matcher(e.getMessage()).find()) {
            return e.getMessage();
        }
        return null;
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}
