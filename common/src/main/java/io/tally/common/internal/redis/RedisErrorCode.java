package io.tally.common.internal.redis;

/** The error code Redis puts first in an error reply, read in one place for every caller that classifies replies. */
public final class RedisErrorCode {
    private RedisErrorCode() {
    }

    /**
     * The error code of a Redis error reply: its first word when that is all capitals ({@code OOM},
     * {@code BUSY}, {@code LOADING}, {@code MASTERDOWN}, {@code NOPERM}, {@code READONLY}, ...), else
     * the empty string. Redis puts the code first; clients keep it as the message's start.
     */
    public static String of(String message) {
        if (message == null) {
            return "";
        }
        int end = 0;
        while (end < message.length() && message.charAt(end) >= 'A' && message.charAt(end) <= 'Z') {
            end++;
        }
        boolean word = end > 0 && (end == message.length() || message.charAt(end) == ' ');
        return word ? message.substring(0, end) : "";
    }
}
