package io.tally.common.internal.trigger;

import io.tally.common.internal.text.ForeignText;
import io.tally.common.trigger.InvalidTriggerException;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerKind;
import io.tally.common.trigger.TriggerMode;
import io.tally.common.trigger.TriggerStatus;
import io.tally.common.trigger.UnreadableTriggerException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The JSON form of triggers. A definition reads as
 * <pre>{"kind":"event","mode":"once","eventType":"click","match":{"country":"FR"},"params":{"campaign":"x"}}
 * {"kind":"threshold","mode":"every","counter":"clicks","op":"&gt;=","value":1000}
 * {"kind":"time","at":"2030-01-01T00:00:00Z","every":60000}</pre>
 * {@code at} is epoch ms or an ISO-8601 instant; match and params values are strings. The stored form
 * (the {@code triggers} hash) is the same with {@code id} first and {@code at} in ms; the full form adds
 * {@code status}, {@code fireCount}, {@code lastFiredAt}, {@code createdAt}, {@code canceledAt}.
 */
public final class TriggerJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern CANONICAL_COUNT = Pattern.compile("0|[1-9][0-9]*");
    private static final Set<String> DEFINITION_FIELDS =
            Set.of("kind", "mode", "eventType", "match", "counter", "op", "value", "at", "every", "params");
    private static final Set<String> SET_BY_TALLY =
            Set.of("id", "status", "fireCount", "lastFiredAt", "createdAt", "canceledAt");

    private TriggerJson() {
    }

    /**
     * Parses a definition given by a user.
     *
     * @throws InvalidTriggerException naming the wrong field (including unknown fields and fields that
     *                                 Tally sets, such as {@code id} or {@code status})
     */
    public static TriggerDefinition parseDefinition(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidTriggerException("(body)", "not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidTriggerException("(body)", "expected a JSON object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (SET_BY_TALLY.contains(f)) {
                throw new InvalidTriggerException(f, "is set by Tally and cannot be given");
            }
            if (!DEFINITION_FIELDS.contains(f)) {
                throw new InvalidTriggerException(f, "unknown field (expected one of " + DEFINITION_FIELDS + ")");
            }
        }
        return read(root);
    }

    /** Parses the stored form (definition plus {@code id}). */
    public static TriggerDefinition parseStored(String json) {
        try {
            return read(MAPPER.readTree(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored trigger definition is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static TriggerDefinition read(JsonNode root) {
        TriggerDefinition.Builder b = TriggerDefinition.builder();
        String kind = text(root, "kind");
        b.kind(kind == null ? null : TriggerKind.parse(kind));
        String mode = text(root, "mode");
        if (mode != null) {
            b.mode(TriggerMode.parse(mode));
        }
        b.eventType(text(root, "eventType"));
        if (root.has("match")) {
            b.match(stringMap(root, "match"));
        }
        b.counter(text(root, "counter"));
        String op = text(root, "op");
        if (op != null) {
            b.op(ThresholdOp.parse(op));
        }
        b.value(integer(root, "value"));
        b.at(time(root, "at"));
        b.every(integer(root, "every"));
        if (root.has("params")) {
            b.params(stringMap(root, "params"));
        }
        return b.build();
    }

    /** The stored form: {@code id} (when not null) and the definition, in a fixed field order. */
    public static String writeDefinition(String id, TriggerDefinition d) {
        return definitionNode(id, d, true).toString();
    }

    /**
     * The stored head of an event or threshold trigger: its stored form without {@code params}. The apply script
     * decodes heads to decide which triggers fire, and reads a definition (for its params) only when its trigger fires.
     */
    public static String writeHead(String id, TriggerDefinition d) {
        return definitionNode(id, d, false).toString();
    }

    /** The full form of a trigger: definition, id and state. */
    public static String write(Trigger t) {
        ObjectNode n = definitionNode(t.id(), t.definition(), true);
        n.put("status", t.status().wire());
        n.put("fireCount", t.fireCount());
        putNullable(n, "lastFiredAt", t.lastFiredAt());
        n.put("createdAt", t.createdAt());
        putNullable(n, "canceledAt", t.canceledAt());
        return n.toString();
    }

    /**
     * A trigger from its fields in the {@code triggers} hash: {@code <id>} (stored definition),
     * {@code <id>:status}, {@code <id>:fireCount}, {@code <id>:lastFiredAt}, {@code <id>:createdAt},
     * {@code <id>:canceledAt}; absent optional fields are null.
     *
     * @throws UnreadableTriggerException naming the field Tally cannot read (any program may write the hash)
     */
    public static Trigger fromStored(String id, String definition, String status, String fireCount,
                                     String lastFiredAt, String createdAt, String canceledAt) {
        TriggerDefinition stored = storedDefinition(id, definition);
        TriggerStatus storedStatus = storedStatus(id, status);
        Long created = storedNumber(id, "createdAt", createdAt);
        return new Trigger(id, stored, storedStatus, storedFireCount(fireCount), storedNumber(id, "lastFiredAt", lastFiredAt),
                created == null ? 0 : created, storedNumber(id, "canceledAt", canceledAt));
    }

    private static TriggerDefinition storedDefinition(String id, String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            // the message says it all: Jackson's own names its settings and classes
            throw new UnreadableTriggerException(id, "its stored definition '" + shown(json) + "' is not valid JSON",
                    null);
        }
        try {
            return read(root);
        } catch (InvalidTriggerException e) {
            // the problem may quote the foreign value (an unknown kind, an 'at' that is no time) whole
            throw new UnreadableTriggerException(id, "its stored definition has an invalid field '" + shown(e.field())
                    + "': " + ForeignText.printable(e.problem(), 200), null);
        } catch (RuntimeException e) {
            throw new UnreadableTriggerException(id, "its stored definition is no trigger definition", e);
        }
    }

    private static TriggerStatus storedStatus(String id, String status) {
        if (status == null) {
            throw new UnreadableTriggerException(id, "it has no status", null);
        }
        try {
            return TriggerStatus.parse(status);
        } catch (InvalidTriggerException e) {
            throw new UnreadableTriggerException(id, "its status '" + shown(status)
                    + "' is none of active, fired or canceled", null);
        }
    }

    /**
     * A stored fire count as the scripts that fire the trigger read it (include/firing.lua): the canonical
     * decimal of an integer in [0, 2^53), anything else 0, so that a reader shows what the next firing
     * adds one to.
     */
    static long storedFireCount(String value) {
        if (value == null || value.length() > 16 || !CANONICAL_COUNT.matcher(value).matches()) {
            return 0;
        }
        long n = Long.parseLong(value);
        return n < 1L << 53 ? n : 0;
    }

    /** An epoch-ms time, or null when absent. */
    private static Long storedNumber(String id, String field, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return Long.valueOf(value);
        } catch (NumberFormatException e) {
            throw new UnreadableTriggerException(id, "its " + field + " '" + shown(value) + "' is not a number", null);
        }
    }

    /** A value another program may have written, for a message: control characters replaced, cut at 40 characters. */
    private static String shown(String text) {
        return ForeignText.printable(String.valueOf(text), 40);
    }

    private static ObjectNode definitionNode(String id, TriggerDefinition d, boolean withParams) {
        ObjectNode n = MAPPER.createObjectNode();
        if (id != null) {
            n.put("id", id);
        }
        n.put("kind", d.kind().wire());
        n.put("mode", d.mode().wire());
        switch (d.kind()) {
            case EVENT -> {
                n.put("eventType", d.eventType());
                ObjectNode m = n.putObject("match");
                d.match().forEach(m::put);
            }
            case THRESHOLD -> {
                n.put("counter", d.counter());
                n.put("op", d.op().symbol());
                n.put("value", d.value());
            }
            case TIME -> {
                n.put("at", d.at());
                putNullable(n, "every", d.every());
            }
        }
        if (withParams) {
            ObjectNode p = n.putObject("params");
            d.params().forEach(p::put);
        }
        return n;
    }

    private static void putNullable(ObjectNode n, String field, Long v) {
        if (v == null) {
            n.putNull(field);
        } else {
            n.put(field, v);
        }
    }

    private static String text(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new InvalidTriggerException(field, "expected a string, got " + v.getNodeType().name().toLowerCase());
        }
        return v.asText();
    }

    private static Long integer(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new InvalidTriggerException(field, "expected a signed 64-bit integer, got " + abbreviate(v.toString()));
        }
        return v.asLong();
    }

    private static Long time(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v != null && v.isTextual()) {
            try {
                return Instant.parse(v.asText()).toEpochMilli();
            } catch (DateTimeParseException | ArithmeticException e) {
                throw new InvalidTriggerException(field, "'" + abbreviate(v.asText())
                        + "' is neither epoch ms nor an ISO-8601 instant such as 2030-01-01T00:00:00Z");
            }
        }
        return integer(root, field);
    }

    private static Map<String, String> stringMap(JsonNode root, String field) {
        JsonNode v = root.get(field);
        Map<String, String> out = new LinkedHashMap<>();
        if (v.isNull()) {
            return out;
        }
        if (!v.isObject()) {
            throw new InvalidTriggerException(field, "expected an object of string values");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = v.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new InvalidTriggerException(field + "." + e.getKey(), "expected a string value, got "
                        + abbreviate(e.getValue().toString()));
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
