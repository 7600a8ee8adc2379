package io.tally.processor.internal.batch;

import io.tally.common.internal.wire.WireFormat;

import java.nio.charset.StandardCharsets;

/**
 * The ops entries of one read, checked field by field with apply.lua's rules as they are parsed from
 * the reply's bytes, and kept as what {@link CounterFold} needs: per entry the counter, whether the
 * amount is absolute (set, reset) or a delta, the amount, and the {@code windows} and {@code ts} fields.
 *
 * <p>Only incr, decr, set and reset entries of format version 1 that pass every rule are kept. The first
 * entry that does not (unique, an invalid entry that must become a dead letter, an unknown version)
 * makes the whole batch {@linkplain #foldable() unfoldable}: apply.lua then judges it entry by entry, and
 * the rest of the batch is only counted. As in apply.lua, a field named twice counts with its last value.
 */
public final class OpsEntries {
    static final int OTHER = 0;
    private static final int F_OP = 1;
    private static final int F_COUNTER = 2;
    private static final int F_BY = 3;
    private static final int F_VALUE = 4;
    private static final int F_TS = 5;
    private static final int F_ID = 6;
    private static final int F_V = 7;
    private static final int F_WINDOWS = 8;

    private static final int OP_NONE = 0;
    private static final int OP_INCR = 1;
    private static final int OP_DECR = 2;
    private static final int OP_SET = 3;
    private static final int OP_RESET = 4;
    private static final int OP_OTHER = 5;

    private final CounterNames names;
    private final DecimalBytes decimal = new DecimalBytes();

    private int size;
    private final String[] counter;
    private final boolean[] absolute;
    private final long[] amount;
    /** Windows and ts per entry, made for the first entry with windows (ts counts only with windows). */
    private String[] windows;
    private long[] ts;
    private boolean[] hasTs;
    private boolean foldable = true;

    // the entry being parsed
    private int op;
    private String entryCounter;
    private boolean hasBy;
    private boolean byOk;
    private long by;
    private boolean valueOk;
    private long value;
    private boolean tsSeen;
    private boolean tsOk;
    private long tsValue;
    private boolean idOk;
    private boolean versionOk;
    private String entryWindows;
    private boolean tooManyFields;

    /**
     * @param capacity entries the read holds
     * @param names    the partition's counter names (validity and routing)
     */
    public OpsEntries(int capacity, CounterNames names) {
        this.names = names;
        this.counter = new String[capacity];
        this.absolute = new boolean[capacity];
        this.amount = new long[capacity];
    }

    /** Which field a name is, so the parser can read the value before it handles it. */
    public static int fieldOf(byte[] b, int off, int len) {
        switch (len) {
            case 1:
                return b[off] == 'v' ? F_V : OTHER;
            case 2:
                return is(b, off, "op") ? F_OP : is(b, off, "by") ? F_BY : is(b, off, "ts") ? F_TS
                        : is(b, off, "id") ? F_ID : OTHER;
            case 5:
                return is(b, off, "value") ? F_VALUE : OTHER;
            case 7:
                return is(b, off, "counter") ? F_COUNTER : is(b, off, "windows") ? F_WINDOWS : OTHER;
            default:
                return OTHER;
        }
    }

    /** False once an entry needs apply.lua: the parser may then skip the fields of the rest. */
    public boolean foldable() {
        return foldable;
    }

    int size() {
        return size;
    }

    public void beginEntry() {
        op = OP_NONE;
        entryCounter = null;
        hasBy = false;
        byOk = false;
        valueOk = false;
        tsSeen = false;
        tsOk = true;
        idOk = true;
        versionOk = true;
        entryWindows = null;
        tooManyFields = false;
    }

    /** How many fields the entry has: more than {@link WireFormat#MAX_FIELDS} make it a dead letter. */
    public void fieldCount(int fields) {
        tooManyFields = fields > WireFormat.MAX_FIELDS;
    }

    /** One field of the entry: {@code field} from {@link #fieldOf}, the value in {@code b[off, off+len)}. */
    public void field(int field, byte[] b, int off, int len) {
        switch (field) {
            case F_OP -> op = len == 4 && is(b, off, "incr") ? OP_INCR : len == 4 && is(b, off, "decr") ? OP_DECR
                    : len == 3 && is(b, off, "set") ? OP_SET : len == 5 && is(b, off, "reset") ? OP_RESET : OP_OTHER;
            case F_COUNTER -> entryCounter = names.accepted(b, off, len);
            case F_BY -> {
                hasBy = true;
                byOk = decimal.parse(b, off, len);
                by = decimal.value();
            }
            case F_VALUE -> {
                valueOk = decimal.parse(b, off, len);
                value = decimal.value();
            }
            case F_TS -> {
                tsSeen = true;
                tsOk = decimal.parse(b, off, len);
                tsValue = decimal.value();
            }
            case F_ID -> idOk = CounterNames.validName(new String(b, off, len, StandardCharsets.UTF_8));
            case F_V -> versionOk = len == WireFormat.VERSION.length() && is(b, off, WireFormat.VERSION);
            case F_WINDOWS -> entryWindows = new String(b, off, len, StandardCharsets.UTF_8);
            default -> {
                // unknown fields are ignored, as apply.lua ignores them
            }
        }
    }

    /**
     * Ends the entry: keeps it, or marks the batch unfoldable. Kept whole: one verdict per entry, its checks
     * in apply.lua's order.
     */
    public void endEntry() {
        int i = size++;
        if (!foldable) {
            return;
        }
        if (!versionOk || tooManyFields || entryCounter == null || !tsOk || !idOk) {
            foldable = false;
            return;
        }
        long change;
        boolean isAbsolute = false;
        switch (op) {
            case OP_INCR, OP_DECR -> {
                if (hasBy && !byOk) {
                    foldable = false;
                    return;
                }
                long n = hasBy ? by : 1;
                if (op == OP_DECR && n == Long.MIN_VALUE) {
                    foldable = false;
                    return;
                }
                change = op == OP_DECR ? -n : n;
            }
            case OP_SET -> {
                if (!valueOk) {
                    foldable = false;
                    return;
                }
                change = value;
                isAbsolute = true;
            }
            case OP_RESET -> {
                change = 0;
                isAbsolute = true;
            }
            default -> {
                foldable = false;
                return;
            }
        }
        counter[i] = entryCounter;
        absolute[i] = isAbsolute;
        amount[i] = change;
        if (entryWindows != null) {
            if (windows == null) {
                windows = new String[counter.length];
                ts = new long[counter.length];
                hasTs = new boolean[counter.length];
            }
            windows[i] = entryWindows;
            hasTs[i] = tsSeen;
            ts[i] = tsValue;
        }
    }

    String counter(int i) {
        return counter[i];
    }

    boolean absolute(int i) {
        return absolute[i];
    }

    long amount(int i) {
        return amount[i];
    }

    /** The entry's {@code windows} field, or null. */
    String windows(int i) {
        return windows == null ? null : windows[i];
    }

    /** The {@code ts} of an entry with windows, or null when it has none. */
    Long ts(int i) {
        return hasTs != null && hasTs[i] ? ts[i] : null;
    }

    private static boolean is(byte[] b, int off, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (b[off + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
