package io.tally.common.trigger;

import io.tally.common.internal.trigger.TriggerJson;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a trigger watches for, as given by its creator; immutable and validated when built. The
 * kind's own fields are set, the others are null:
 * <ul>
 *   <li>{@code event}: {@link #eventType()} and {@link #match()} (every listed parameter equal);</li>
 *   <li>{@code threshold}: {@link #counter()}, {@link #op()} and {@link #value()} (within ±2^53);</li>
 *   <li>{@code time}: {@link #at()} (epoch ms) and optionally {@link #every()} (ms, at least 100);
 *       the mode is {@code every} exactly when {@code every} is set.</li>
 * </ul>
 * {@link #params()} are copied into every firing as {@code p.<name>} fields.
 */
public final class TriggerDefinition {
    /** Threshold values must lie within ±2^53, where Lua numbers are exact. */
    public static final long MAX_THRESHOLD = 1L << 53;
    /** Shortest period of a repeating time trigger, ms. */
    public static final long MIN_EVERY_MS = 100;
    /** Most entries in {@code match} and in {@code params}. */
    public static final int MAX_ENTRIES = 64;
    /** Longest parameter value, bytes of UTF-8 (as chars, a cheap upper bound). */
    public static final int MAX_VALUE_CHARS = 1024;
    /**
     * Most bytes (UTF-8 names and values) of all {@code params} together: every firing copies them, so this
     * and the caps on triggers per routing key and firings per apply call bound what one entry can write.
     */
    public static final int MAX_PARAMS_BYTES = 8192;
    /**
     * Most bytes (UTF-8 names and values) of a {@code match} together: each apply call holding an event of the
     * trigger's type decodes its definition inside its script, so this and the cap on triggers per event type
     * bound what one event costs Redis.
     */
    public static final int MAX_MATCH_BYTES = 2048;

    private final TriggerKind kind;
    private final TriggerMode mode;
    private final String eventType;
    private final Map<String, String> match;
    private final String counter;
    private final ThresholdOp op;
    private final Long value;
    private final Long at;
    private final Long every;
    private final Map<String, String> params;

    private TriggerDefinition(Builder b, TriggerMode mode) {
        this.kind = b.kind;
        this.mode = mode;
        this.eventType = b.eventType;
        this.match = b.kind == TriggerKind.EVENT ? Collections.unmodifiableMap(new LinkedHashMap<>(b.match)) : null;
        this.counter = b.counter;
        this.op = b.op;
        this.value = b.value;
        this.at = b.at;
        this.every = b.every;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(b.params));
    }

    /**
     * An event trigger: fires on applied events of this type (add {@link Builder#match} to narrow it).
     *
     * @param eventType the event type
     * @return a builder
     */
    public static Builder event(String eventType) {
        return new Builder().kind(TriggerKind.EVENT).eventType(eventType);
    }

    /**
     * A threshold trigger: fires when the counter's value crosses the line.
     *
     * @param counter the counter
     * @param op      {@link ThresholdOp#GTE} or {@link ThresholdOp#LTE}
     * @param value   the threshold, within ±2^53
     * @return a builder
     */
    public static Builder threshold(String counter, ThresholdOp op, long value) {
        return new Builder().kind(TriggerKind.THRESHOLD).counter(counter).op(op).value(value);
    }

    /**
     * A time trigger due at {@code atMs}; add {@link Builder#every(Long)} to repeat it.
     *
     * @param atMs the first due time, epoch ms (Redis time)
     * @return a builder
     */
    public static Builder time(long atMs) {
        return new Builder().kind(TriggerKind.TIME).at(atMs);
    }

    /**
     * A builder of any kind, for parsers; {@link Builder#build()} checks every field.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The kind.
     *
     * @return event, threshold or time
     */
    public TriggerKind kind() { return kind; }
    /**
     * The mode.
     *
     * @return once or every
     */
    public TriggerMode mode() { return mode; }
    /**
     * The event type (event triggers).
     *
     * @return the type, else null
     */
    public String eventType() { return eventType; }
    /**
     * The parameters an event must carry with these exact values (event triggers).
     *
     * @return the match, else null
     */
    public Map<String, String> match() { return match; }
    /**
     * The counter (threshold triggers).
     *
     * @return the counter's name, else null
     */
    public String counter() { return counter; }
    /**
     * The comparison (threshold triggers).
     *
     * @return the operator, else null
     */
    public ThresholdOp op() { return op; }
    /**
     * The threshold (threshold triggers).
     *
     * @return the value, else null
     */
    public Long value() { return value; }
    /**
     * The first due time (time triggers).
     *
     * @return epoch ms, else null
     */
    public Long at() { return at; }
    /**
     * The period (repeating time triggers).
     *
     * @return ms, else null
     */
    public Long every() { return every; }
    /**
     * The parameters copied into every firing as {@code p.<name>}.
     *
     * @return the params, possibly empty
     */
    public Map<String, String> params() { return params; }

    /**
     * The routing key that decides the partition.
     *
     * @return the event type or counter; null for time triggers, whose partition comes from their id's ULID
     */
    public String routingKey() {
        return kind == TriggerKind.EVENT ? eventType : kind == TriggerKind.THRESHOLD ? counter : null;
    }

    /**
     * Checks what depends on the clock: a {@code once} time trigger must be due after {@code nowMs}.
     *
     * @param nowMs the current time, epoch ms
     * @throws InvalidTriggerException naming {@code at}
     */
    public void checkNotInPast(long nowMs) {
        if (kind == TriggerKind.TIME && mode == TriggerMode.ONCE && at <= nowMs) {
            throw new InvalidTriggerException("at", at + " is " + (nowMs - at) + " ms in the past; a once time trigger "
                    + "must be due in the future");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TriggerDefinition d && kind == d.kind && mode == d.mode
                && Objects.equals(eventType, d.eventType) && Objects.equals(match, d.match)
                && Objects.equals(counter, d.counter) && op == d.op && Objects.equals(value, d.value)
                && Objects.equals(at, d.at) && Objects.equals(every, d.every) && params.equals(d.params);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, mode, eventType, match, counter, op, value, at, every, params);
    }

    @Override
    public String toString() {
        return TriggerJson.writeDefinition(null, this);
    }

    /** Collects fields; {@link #build()} validates them all and names the first wrong one. */
    public static final class Builder {
        private TriggerKind kind;
        private TriggerMode mode;
        private String eventType;
        private final Map<String, String> match = new LinkedHashMap<>();
        private String counter;
        private ThresholdOp op;
        private Long value;
        private Long at;
        private Long every;
        private final Map<String, String> params = new LinkedHashMap<>();
        private boolean matchSet;

        private Builder() {
        }

        /**
         * Sets the kind.
         *
         * @param kind event, threshold or time
         * @return this builder
         */
        public Builder kind(TriggerKind kind) { this.kind = kind; return this; }
        /**
         * Sets the mode (default {@code once}; time triggers take it from {@link #every(Long)}).
         *
         * @param mode once or every
         * @return this builder
         */
        public Builder mode(TriggerMode mode) { this.mode = mode; return this; }
        /**
         * Sets the event type (event triggers).
         *
         * @param eventType the type
         * @return this builder
         */
        public Builder eventType(String eventType) { this.eventType = eventType; return this; }
        /**
         * Sets the counter (threshold triggers).
         *
         * @param counter the counter's name
         * @return this builder
         */
        public Builder counter(String counter) { this.counter = counter; return this; }
        /**
         * Sets the comparison (threshold triggers).
         *
         * @param op the operator
         * @return this builder
         */
        public Builder op(ThresholdOp op) { this.op = op; return this; }
        /**
         * Sets the threshold (threshold triggers), within ±2^53.
         *
         * @param value the threshold
         * @return this builder
         */
        public Builder value(Long value) { this.value = value; return this; }
        /**
         * Sets the first due time (time triggers).
         *
         * @param atMs epoch ms, Redis time
         * @return this builder
         */
        public Builder at(Long atMs) { this.at = atMs; return this; }
        /**
         * Sets the period, which makes a time trigger repeat (mode {@code every}).
         *
         * @param everyMs ms, at least 100
         * @return this builder
         */
        public Builder every(Long everyMs) { this.every = everyMs; return this; }

        /**
         * Requires the event to carry parameter {@code name} with exactly this value.
         *
         * @param name  the parameter
         * @param value its value
         * @return this builder
         */
        public Builder match(String name, String value) {
            matchSet = true;
            match.put(name, value);
            return this;
        }

        /**
         * Requires the event to carry each of these parameters with exactly its value.
         *
         * @param all parameter names and values
         * @return this builder
         */
        public Builder match(Map<String, String> all) {
            matchSet = true;
            match.putAll(all);
            return this;
        }

        /**
         * Adds a parameter copied into every firing as {@code p.<name>}.
         *
         * @param name  the parameter
         * @param value its value
         * @return this builder
         */
        public Builder param(String name, String value) {
            params.put(name, value);
            return this;
        }

        /**
         * Adds parameters copied into every firing as {@code p.<name>}.
         *
         * @param all parameter names and values
         * @return this builder
         */
        public Builder params(Map<String, String> all) {
            params.putAll(all);
            return this;
        }

        /**
         * Checks every field and builds the definition.
         *
         * @return the definition, immutable
         * @throws InvalidTriggerException naming the first wrong field
         */
        public TriggerDefinition build() {
            if (kind == null) {
                throw new InvalidTriggerException("kind", "missing (expected event, threshold or time)");
            }
            switch (kind) {
                case EVENT -> checkEvent();
                case THRESHOLD -> checkThreshold();
                case TIME -> mode = checkTime();
            }
            TriggerFields.entries("params", params);
            return new TriggerDefinition(this, mode == null ? TriggerMode.ONCE : mode);
        }

        private void checkEvent() {
            TriggerFields.name("eventType", eventType);
            TriggerFields.entries("match", match);
            notFor("counter", counter);
            notFor("op", op);
            notFor("value", value);
            notFor("at", at);
            notFor("every", every);
        }

        private void checkThreshold() {
            TriggerFields.name("counter", counter);
            TriggerFields.required("op", op, "(expected >= or <=)");
            TriggerFields.required("value", value, "(an integer within ±2^53)");
            if (value < -MAX_THRESHOLD || value > MAX_THRESHOLD) {
                throw new InvalidTriggerException("value", value + " is outside ±2^53 (" + MAX_THRESHOLD + ")");
            }
            notFor("eventType", eventType);
            notFor("match", matchSet ? match : null);
            notFor("at", at);
            notFor("every", every);
        }

        /** Checks a time trigger; its mode follows from {@code every}, so a given one must agree. */
        private TriggerMode checkTime() {
            TriggerFields.required("at", at, "(epoch ms or ISO-8601 time)");
            if (at < 0) {
                throw new InvalidTriggerException("at", at + " is before 1970");
            }
            if (every != null && every < MIN_EVERY_MS) {
                throw new InvalidTriggerException("every", every + " ms is below the minimum of "
                        + MIN_EVERY_MS + " ms");
            }
            TriggerMode implied = every == null ? TriggerMode.ONCE : TriggerMode.EVERY;
            if (mode != null && mode != implied) {
                throw new InvalidTriggerException("mode", "'" + mode.wire() + "' does not fit a time trigger "
                        + (every == null ? "without 'every' (mode is once)" : "with 'every' (mode is every)"));
            }
            notFor("eventType", eventType);
            notFor("match", matchSet ? match : null);
            notFor("counter", counter);
            notFor("op", op);
            notFor("value", value);
            return implied;
        }

        private void notFor(String field, Object v) {
            if (v != null) {
                throw new InvalidTriggerException(field, "does not apply to " + kind.wire() + " triggers");
            }
        }
    }
}
