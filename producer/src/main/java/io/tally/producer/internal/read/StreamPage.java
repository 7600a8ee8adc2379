package io.tally.producer.internal.read;

import io.tally.common.internal.redis.LuaScript;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pages of a stream read by {@code stream_page.lua}, whose ids stay the strings Redis wrote: Redisson's own
 * XRANGE reads each part of an id as a signed long and fails the whole read on one past 2^63, which any
 * program may XADD.
 */
public final class StreamPage {
    /** The script: KEYS[1] stream, ARGV after-id ('' for the first page), count, 'forward' | 'reverse'. */
    public static final LuaScript SCRIPT = LuaScript.resource("stream_page");
    public static final String FORWARD = "forward";
    public static final String REVERSE = "reverse";

    private StreamPage() {
    }

    /** The script's reply as id → fields, in its order (a field given twice: its last value). */
    public static Map<String, Map<String, String>> entries(List<Object> reply) {
        Map<String, Map<String, String>> entries = new LinkedHashMap<>();
        if (reply == null) {
            return entries;
        }
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            Map<String, String> fields = new LinkedHashMap<>();
            if (reply.get(i + 1) instanceof List<?> flat) {
                for (int f = 0; f + 1 < flat.size(); f += 2) {
                    fields.put(String.valueOf(flat.get(f)), String.valueOf(flat.get(f + 1)));
                }
            }
            entries.put(String.valueOf(reply.get(i)), fields);
        }
        return entries;
    }
}
