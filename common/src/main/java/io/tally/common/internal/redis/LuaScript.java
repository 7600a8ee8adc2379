package io.tally.common.internal.redis;

import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RScriptAsync;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.RedisNoScriptException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A Lua script kept as a resource under {@code tally/lua/}, called by SHA (EVALSHA) and reloaded
 * when Redis answers NOSCRIPT (a restarted or failed-over Redis forgets its scripts). Data reaches
 * the script only through KEYS and ARGV.
 *
 * <p>A line {@code --#include <fragment>} in a script is replaced by {@code tally/lua/include/<fragment>.lua}
 * before the SHA is taken, so that helpers several scripts need (stream ids, the shape of a dead letter,
 * of a firing) exist once; Redis runs the assembled text, which {@link #source()} returns.
 */
public final class LuaScript {
    private final String name;
    private final String source;
    private final String sha;

    private LuaScript(String name, String source) {
        this.name = name;
        this.source = source;
        this.sha = sha1(source);
    }

    private static final String INCLUDE = "--#include ";

    /** Loads {@code tally/lua/<name>.lua} from the class path, its includes in place. */
    public static LuaScript resource(String name) {
        return new LuaScript(name, assemble(text("tally/lua/" + name + ".lua")));
    }

    /**
     * The script's text with every {@code --#include <fragment>} line replaced by the fragment's text,
     * itself assembled (a fragment may include others). A fragment included twice in one script is an
     * error: a helper is defined once, and an include cycle cannot loop.
     */
    static String assemble(String script) {
        StringBuilder out = new StringBuilder(script.length() + 4096);
        assemble(script, out, new java.util.HashSet<>());
        out.setLength(out.length() - 1);
        return out.toString();
    }

    private static void assemble(String text, StringBuilder out, java.util.Set<String> included) {
        for (String line : text.split("\n", -1)) {
            if (line.startsWith(INCLUDE)) {
                String fragment = line.substring(INCLUDE.length()).strip();
                if (!fragment.matches("[a-z_0-9]+")) {
                    throw new IllegalStateException("bad include line: " + line);
                }
                if (!included.add(fragment)) {
                    throw new IllegalStateException("fragment " + fragment + " is included twice");
                }
                String body = text("tally/lua/include/" + fragment + ".lua");
                assemble(body.endsWith("\n") ? body.substring(0, body.length() - 1) : body, out, included);
            } else {
                out.append(line).append('\n');
            }
        }
    }

    private static String text(String path) {
        try (InputStream in = LuaScript.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing script resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A script from its source text (a test's variant of a resource, for one). */
    public static LuaScript of(String name, String source) {
        return new LuaScript(name, source);
    }

    /** The script's source text as Redis runs it (includes in place). */
    public String source() {
        return source;
    }

    public String name() {
        return name;
    }

    public String sha() {
        return sha;
    }

    /** Queues an EVALSHA on a script handle (plain or inside a batch). */
    public <R> RFuture<R> evalAsync(RScriptAsync script, RScript.ReturnType type, List<Object> keys, Object... argv) {
        return script.evalShaAsync(RScript.Mode.READ_WRITE, sha, type, keys, argv);
    }

    /** Runs the script now; on NOSCRIPT loads it on every master and tries once more. */
    public <R> R eval(RedissonClient redis, RScript.ReturnType type, List<Object> keys, Object... argv) {
        return eval(redis, redis.getScript(), type, keys, argv);
    }

    /** As {@link #eval(RedissonClient, RScript.ReturnType, List, Object...)} with ARGV encoded by {@code codec}. */
    public <R> R eval(RedissonClient redis, org.redisson.client.codec.Codec codec, RScript.ReturnType type,
                      List<Object> keys, Object... argv) {
        return eval(redis, redis.getScript(codec), type, keys, argv);
    }

    /** As {@link #eval(RedissonClient, RScript.ReturnType, List, Object...)} on a script handle of the caller's (its codec, timeout, retries). */
    public <R> R eval(RedissonClient redis, RScript script, RScript.ReturnType type, List<Object> keys, Object... argv) {
        try {
            return script.evalSha(RScript.Mode.READ_WRITE, sha, type, keys, argv);
        } catch (RedisException e) {
            if (!isNoScript(e)) {
                throw e;
            }
            load(redis);
            return script.evalSha(RScript.Mode.READ_WRITE, sha, type, keys, argv);
        }
    }

    /** Loads the script on every master (SCRIPT LOAD). */
    public void load(RedissonClient redis) {
        String loaded = redis.getScript().scriptLoad(source);
        if (!sha.equals(loaded)) {
            throw new IllegalStateException("Redis returned SHA " + loaded + " for script " + name + ", expected " + sha);
        }
    }

    /**
     * Loads the script on every master without blocking: for Redisson callbacks, where a blocking call
     * is refused ("Sync methods can't be invoked from async/rx/reactive listeners").
     */
    public java.util.concurrent.CompletionStage<String> loadAsync(RedissonClient redis) {
        return redis.getScript().scriptLoadAsync(source);
    }

    /**
     * True when the error, or one of its causes, is Redis's NOSCRIPT reply: a {@link RedisNoScriptException},
     * as Redisson decodes it and as Tally's own connections type an error reply whose code is NOSCRIPT.
     * An error whose text merely mentions NOSCRIPT (a script's own error message) is not one.
     */
    public static boolean isNoScript(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisNoScriptException) {
                return true;
            }
        }
        return false;
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
