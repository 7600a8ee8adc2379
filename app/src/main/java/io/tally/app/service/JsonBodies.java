package io.tally.app.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.tally.app.http.RequestReadDeadline;
import io.tally.common.internal.wire.WireFormat;
import org.eclipse.jetty.http.BadMessageException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads request bodies with a size limit and takes typed fields out of JSON objects, answering 400
 * with the field's name for anything malformed or unknown (a typo such as {@code "vaule"} must not
 * silently become a default).
 */
final class JsonBodies {
    private final ObjectMapper json;
    private final int maxBytes;

    JsonBodies(ObjectMapper json, int maxBytes) {
        this.json = json;
        this.maxBytes = maxBytes;
    }

    /** The body as a JSON object; an empty body is an empty object. */
    ObjectNode object(Context ctx) {
        byte[] body = read(ctx);
        if (body.length == 0) {
            return json.createObjectNode();
        }
        return parseObject(body, "request body");
    }

    ObjectNode parseObject(byte[] text, String what) {
        if (!mayBeObject(text)) {
            // Told without the JSON reader, whose every error fills a stack trace: a body or batch of garbage
            // lines costs a byte's look each, not an exception's (several microseconds on a request thread).
            throw ApiProblem.badRequest(null, what + " must be a JSON object");
        }
        JsonNode node;
        try {
            node = json.readTree(text);
        } catch (JsonProcessingException e) {
            String limit = JsonLimits.brokenBy(e, json.getFactory().streamReadConstraints());
            if (limit != null) {
                throw ApiProblem.badRequest(null, what + " " + limit + ", past a limit of the JSON reader");
            }
            String where = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw ApiProblem.badRequest(null, what + " is not valid JSON: " + e.getOriginalMessage() + where);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!(node instanceof ObjectNode obj)) {
            throw ApiProblem.badRequest(null, what + " must be a JSON object");
        }
        return obj;
    }

    /**
     * False when {@code text} cannot be a JSON object whatever follows: blank, or its first byte after JSON's
     * whitespace is ASCII other than '{'. A byte of 0 or past ASCII may start a byte order mark or UTF-16 text,
     * which the JSON reader decodes, so those are left to it.
     */
    static boolean mayBeObject(byte[] text) {
        for (byte b : text) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b == '{' || b <= 0;
            }
        }
        return false;
    }

    private byte[] read(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBytes) {
            RefusedBodies.drain(ctx);
            throw tooLarge(declared);
        }
        try (InputStream in = ctx.bodyInputStream()) {
            byte[] body = in.readNBytes(maxBytes + 1);
            if (body.length > maxBytes) {
                RefusedBodies.drain(in);
                throw tooLarge(-1);
            }
            return body;
        } catch (IOException | BadMessageException e) {
            throw unreadable(e);
        }
    }

    /**
     * A body that ended early (a truncated chunked body, a connection closed mid-body), was malformed at the
     * HTTP level or was still arriving when api-request-read-timeout-ms passed: the client's doing, so a 400,
     * logged as one line. Only for a body of which nothing was sent (a batch that sent lines says what became of
     * them instead). The rest of the body is not read, so the connection closes after the answer.
     */
    static ApiProblem unreadable(Exception e) {
        return new ApiProblem(400, "Bad request", "the request body could not be read to its end ("
                + whyUnread(e) + "); nothing was written", null, e).header("Connection", "close");
    }

    /** Why a body could not be read to its end: the read timeout when it passed, else what cuts a body short. */
    static String whyUnread(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RequestReadDeadline.Expired expired) {
                return "it did not arrive within api-request-read-timeout-ms (" + expired.deadline().toMillis() + " ms)";
            }
        }
        return "truncated or malformed chunked encoding, or the connection closed mid-body";
    }

    private ApiProblem tooLarge(long declared) {
        return ApiProblem.tooLarge("request body " + (declared >= 0 ? "of " + declared + " bytes " : "")
                + "exceeds the limit of " + maxBytes + " bytes (api-max-body-bytes); send many operations through "
                + "POST /v1/batch");
    }

    /** Rejects fields outside {@code allowed}, naming the first one. */
    static void onlyFields(ObjectNode obj, Set<String> allowed, String prefix) {
        for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw ApiProblem.badRequest(prefix + name, "unknown field '" + prefix + name + "'; allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }

    /** A signed 64-bit integer given as a JSON integer or a canonical decimal string; null when absent. */
    static Long optionalLong(ObjectNode obj, String field) {
        JsonNode node = obj.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        if (node.isTextual()) {
            return WireFormat.parseLong(field, node.textValue());
        }
        throw ApiProblem.badRequest(field, "field '" + field + "' must be a signed 64-bit integer, got "
                + abbreviate(node.toString()));
    }

    static long requiredLong(ObjectNode obj, String field) {
        Long v = optionalLong(obj, field);
        if (v == null) {
            throw ApiProblem.badRequest(field, "missing field '" + field + "'");
        }
        return v;
    }

    /** A string field; null when absent. */
    static String optionalString(ObjectNode obj, String field) {
        JsonNode node = obj.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw ApiProblem.badRequest(field, "field '" + field + "' must be a string, got " + abbreviate(node.toString()));
        }
        return node.textValue();
    }

    static String requiredString(ObjectNode obj, String field) {
        String v = optionalString(obj, field);
        if (v == null) {
            throw ApiProblem.badRequest(field, "missing field '" + field + "'");
        }
        return v;
    }

    /** Event parameters: an object of strings, numbers or booleans, kept as their text. */
    static Map<String, String> params(ObjectNode obj, String field) {
        JsonNode node = obj.get(field);
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw ApiProblem.badRequest(field, "field '" + field + "' must be an object of name -> value");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode v = e.getValue();
            if (!v.isValueNode() || v.isNull()) {
                throw ApiProblem.badRequest(field + "." + e.getKey(), "parameter '" + e.getKey()
                        + "' must be a string, number or boolean");
            }
            out.put(e.getKey(), v.asText());
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
