package io.tally.app.service;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.model.OpKind;
import io.tally.common.internal.wire.WireFormat;
import io.tally.common.series.SeriesWindows;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Builds operations and events from JSON, sends a single one within its token's rate ({@link TokenRate}), and answers
 * a send as 202 or a problem.
 */
final class Sends {
    private static final Set<String> INCR_FIELDS = Set.of("by", "id", "ts", "windows");
    private static final Set<String> UNIQUE_FIELDS = Set.of("member", "id", "ts", "windows");
    private static final Set<String> SET_FIELDS = Set.of("value", "id", "ts");
    private static final Set<String> RESET_FIELDS = Set.of("id", "ts");
    private static final Set<String> EVENT_FIELDS = Set.of("type", "id", "ts", "params");

    private final TallyProducer producer;
    private final Problems problems;
    private final SeriesWindows windows;
    private final TokenRate rate;

    /** @param windows the service's {@code series-windows}: a send naming another window is refused with 400 */
    Sends(TallyProducer producer, Problems problems, SeriesWindows windows, TokenRate rate) {
        this.producer = producer;
        this.problems = problems;
        this.windows = windows;
        this.rate = rate;
    }

    /** Sends the operation of a request, once its token's rate lets it (429 otherwise, nothing written). */
    void send(Context ctx, CounterOp op) {
        rate.admit(ctx);
        answer(ctx, producer.send(op));
    }

    /** Sends the event of a request, once its token's rate lets it (429 otherwise, nothing written). */
    void emit(Context ctx, Event event) {
        rate.admit(ctx);
        answer(ctx, producer.emit(event));
    }

    /**
     * A counter operation from a request body (the counter and kind come from the path). Its windows must
     * be configured here: the processors would dead-letter the entry after a 202.
     */
    CounterOp op(OpKind kind, String counter, ObjectNode body, String prefix) {
        CounterOp op = parse(kind, counter, body, prefix);
        windows.requireConfigured("windows", op.windows());
        return op;
    }

    private static CounterOp parse(OpKind kind, String counter, ObjectNode body, String prefix) {
        JsonBodies.onlyFields(body, switch (kind) {
            case INCR, DECR -> INCR_FIELDS;
            case SET -> SET_FIELDS;
            case RESET -> RESET_FIELDS;
            case UNIQUE -> UNIQUE_FIELDS;
        }, prefix);
        long amount = switch (kind) {
            case INCR, DECR -> {
                Long by = JsonBodies.optionalLong(body, "by");
                yield by == null ? 1 : by;
            }
            case SET -> JsonBodies.requiredLong(body, "value");
            case RESET, UNIQUE -> 0;
        };
        String member = kind == OpKind.UNIQUE ? JsonBodies.requiredString(body, "member") : null;
        String windows = JsonBodies.optionalString(body, "windows");
        return new CounterOp(kind, counter, amount, JsonBodies.optionalString(body, "id"),
                JsonBodies.optionalLong(body, "ts"), member,
                windows == null ? java.util.List.of() : WireFormat.parseWindows("windows", windows));
    }

    static Event event(ObjectNode body) {
        JsonBodies.onlyFields(body, EVENT_FIELDS, "");
        return new Event(JsonBodies.requiredString(body, "type"), JsonBodies.params(body, "params"),
                JsonBodies.optionalString(body, "id"), JsonBodies.optionalLong(body, "ts"));
    }

    private void answer(Context ctx, CompletableFuture<SendResult> send) {
        ctx.future(() -> send.handle((result, error) -> {
            if (error != null) {
                problems.write(ctx, Problems.of(error));
            } else {
                ctx.status(202).json(accepted(result));
            }
            return null;
        }));
    }

    static Map<String, Object> accepted(SendResult r) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("partition", r.partition());
        body.put("entryId", r.entryId());
        body.put("duplicate", r.duplicate());
        return body;
    }

    TallyProducer producer() {
        return producer;
    }
}
