package io.tally.common.trigger;

/** Comparison of a threshold trigger: the condition is {@code value <op> threshold}. */
public enum ThresholdOp {
    GTE(">="), LTE("<=");

    private final String symbol;

    ThresholdOp(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }

    public boolean holds(long counterValue, long threshold) {
        return this == GTE ? counterValue >= threshold : counterValue <= threshold;
    }

    public static ThresholdOp parse(String s) {
        for (ThresholdOp op : values()) {
            if (op.symbol.equals(s)) {
                return op;
            }
        }
        throw new InvalidTriggerException("op", "unknown op '" + s + "' (expected >= or <=)");
    }
}
