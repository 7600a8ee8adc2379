package io.tally.app.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The values a numeric option accepts, checked for every command by {@link OptionRanges} before the command runs
 * (so before it connects to Redis, let alone writes): a value outside them, one that is not a number, or one past
 * the field's type is a usage error naming the option and this range (exit 2).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface OptionRange {
    /** The longest wait a command takes, in seconds: a day. */
    int DAY_S = 86_400;
    /** The highest partition a namespace may have (P is at most 16384, the config key {@code partitions}). */
    int MAX_PARTITION = 16_383;

    /** The smallest value accepted. */
    double min();

    /** The largest value accepted. */
    double max();

    /** True when {@link #min()} itself is not accepted (a duration of a fractional type that must be above 0). */
    boolean minExclusive() default false;

    /** What the bounds mean, when one needs saying (e.g. {@code "0: any free port"}); shown after the range. */
    String note() default "";
}
