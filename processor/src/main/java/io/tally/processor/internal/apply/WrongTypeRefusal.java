package io.tally.processor.internal.apply;

/**
 * Whether Redis refused a command because a key holds a value of another type: its error reply's code is
 * WRONGTYPE (as Redis sends it, or as a Tally script raises it naming the key). The processor then stops only
 * the partition that key belongs to. A reply that merely quotes WRONGTYPE (a BADKEY naming the command Redis
 * refused inside a script, a script's own error) is not one, nor is a failure without a reply.
 */
public final class WrongTypeRefusal {
    private static final String CODE = "WRONGTYPE";

    private WrongTypeRefusal() {
    }

    /**
     * @param failure as a Redisson call or the hot path's connection throws it, possibly in a
     *                {@link java.util.concurrent.CompletionException}
     * @return whether it is Redis's WRONGTYPE reply
     */
    public static boolean is(Throwable failure) {
        return ScriptFailure.of(failure) == ScriptFailure.REDIS_REFUSED && ScriptFailure.text(failure).startsWith(CODE);
    }
}
