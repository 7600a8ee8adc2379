package io.tally.app.service;

import io.tally.testkit.RawRedis;

import java.util.List;

/** The longest command of Redis's SLOWLOG (log everything with {@code slowlog-log-slower-than 0} first). */
record SlowestCommand(long micros, String command) {
    static SlowestCommand of(RawRedis raw) {
        SlowestCommand slowest = new SlowestCommand(0, "none");
        for (Object entry : (List<?>) raw.call("SLOWLOG", "GET", "-1")) {
            List<?> e = (List<?>) entry;
            long micros = ((Number) e.get(2)).longValue();
            if (micros > slowest.micros) {
                List<?> args = (List<?>) e.get(3);
                slowest = new SlowestCommand(micros, RawRedis.text(args.get(0)) + (args.size() > 1 ? " "
                        + RawRedis.text(args.get(1)) : ""));
            }
        }
        return slowest;
    }
}
