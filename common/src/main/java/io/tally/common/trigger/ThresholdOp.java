package io.tally.common.trigger;

/** Comparison of a threshold trigger: the condition is {@code value <op> threshold}. */
public enum ThresholdOp {
    /** The counter is at or above the threshold. */
    GTE(">="),
    /** The counter is at or below the threshold. */
    LTE("<=");

    private final String symbol;

    ThresholdOp(String symbol) {
        this.symbol = symbol;
    }

    /**
     * The operator as written in JSON and on the command line.
     *
     * @return {@code >=} or {@code <=}
     */
    public String symbol() {
        return symbol;
    }

    /**
     * Whether the condition holds.
     *
     * @param counterValue the counter's value
     * @param threshold    the trigger's value
     * @return true when {@code counterValue <op> threshold}
     */
    public boolean holds(long counterValue, long threshold) {
        return this == GTE ? counterValue >= threshold : counterValue <= threshold;
    }

    /**
     * Parses an operator symbol.
     *
     * @param s {@code >=} or {@code <=}
     * @return the operator
     * @throws InvalidTriggerException naming {@code op} for any other text
     */
    public static ThresholdOp parse(String s) {
        for (ThresholdOp op : values()) {
            if (op.symbol.equals(s)) {
                return op;
            }
        }
        throw new InvalidTriggerException("op", "unknown op '" + s + "' (expected >= or <=)");
    }
}
