package io.tally.app.service;

import io.javalin.config.RoutesConfig;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Refuses a request path that the lenient decoders of the HTTP stack would turn into a name other
 * than the one sent: an encoded {@code /} ({@code %2F}, which would put a {@code /} into a name), a
 * malformed percent escape, bytes that are not UTF-8 (decoded leniently they all become U+FFFD, so
 * {@code a%FFb} and {@code a%FEb} would be the same counter), and U+FFFD itself (the mark of such a
 * decoding). Checks the raw path, before any route sees it; a path of plain ASCII without {@code %}
 * (most requests) costs one scan. The query string follows the same rules, but for the one on {@code /}, each
 * parameter on its own so that the answer names it: decoded leniently, a malformed escape drops the parameter (a
 * default limit, a listing started again from its first page) and bytes that are not UTF-8 name another counter.
 */
final class StrictPaths implements Routes {
    static final String FIELD = "path";
    private static final String NOT_UTF8 = "bytes that are not valid UTF-8 (percent-encode names as UTF-8; "
            + "encoded surrogates and overlong forms are not UTF-8)";

    @Override
    public void register(RoutesConfig routes) {
        routes.before(ctx -> {
            check(ctx.req().getRequestURI());
            checkQuery(ctx.req().getQueryString());
        });
    }

    /** Throws a 400 problem naming the rule the raw (still percent-encoded) path breaks. */
    static void check(String rawPath) {
        String rule = brokenRule(rawPath, false);
        if (rule != null) {
            throw ApiProblem.badRequest(FIELD, "the request path holds " + rule);
        }
    }

    /** Throws a 400 problem naming the first parameter of the raw query string that breaks a rule, and the rule. */
    static void checkQuery(String rawQuery) {
        if (rawQuery == null || plainAscii(rawQuery)) {
            return;
        }
        for (String parameter : rawQuery.split("&", -1)) {
            String rule = brokenRule(parameter, true);
            if (rule != null) {
                int end = parameter.indexOf('=');
                String name = end < 0 ? parameter : parameter.substring(0, end);
                String field = name.isEmpty() || !plainAscii(name) ? "query" : name;
                throw ApiProblem.badRequest(field, "query parameter '" + field + "' holds " + rule);
            }
        }
    }

    /** The rule that raw (still percent-encoded) text breaks, or null; an encoded '/' only when not allowed. */
    private static String brokenRule(String raw, boolean slashAllowed) {
        if (raw == null || plainAscii(raw)) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.allocate(raw.length() * 3);
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int value = i + 2 < raw.length() ? hex(raw.charAt(i + 1), raw.charAt(i + 2)) : -1;
                if (value < 0) {
                    return "a malformed percent escape: '%' must be followed by two hex digits";
                }
                if (value == '/' && !slashAllowed) {
                    return "an encoded '/' (%2F): a '/' cannot be part of a name in a path (send such "
                            + "counters through POST /v1/batch)";
                }
                bytes.put((byte) value);
                i += 2;
            } else if (c < 0x80) {
                bytes.put((byte) c);
            } else {
                // A raw non-ASCII character as the server decoded it; re-encode it to check it with the rest
                // (a lone surrogate cannot be).
                int cp = raw.codePointAt(i);
                if (Character.isSurrogate(c) && Character.charCount(cp) == 1) {
                    return NOT_UTF8;
                }
                bytes.put(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp) - 1;
            }
        }
        bytes.flip();
        String decoded = decodeStrictly(bytes);
        if (decoded == null) {
            return NOT_UTF8;
        }
        if (decoded.indexOf('\uFFFD') >= 0) {
            return "U+FFFD (the replacement character): it stands for bytes a decoder could not read, so "
                    + "it cannot name a counter or trigger";
        }
        return null;
    }

    /** The text of UTF-8 {@code bytes}, or null when they are not UTF-8. */
    private static String decodeStrictly(ByteBuffer bytes) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = utf8.decode(bytes);
            return chars.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean plainAscii(String path) {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' || c >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static int hex(char high, char low) {
        int h = Character.digit(high, 16);
        int l = Character.digit(low, 16);
        return h < 0 || l < 0 ? -1 : h * 16 + l;
    }
}
