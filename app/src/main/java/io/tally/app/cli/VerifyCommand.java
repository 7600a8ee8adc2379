package io.tally.app.cli;

import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.config.ConfigException;
import io.tally.producer.read.TallyReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code tally verify --expect-file FILE}: waits until every counter has its expected value. */
@Command(name = "verify", 
        description = "Checks counters against a loadgen --expect-file; exit 0 when all match within the timeout.")
public final class VerifyCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;
    @Spec
    CommandSpec spec;
    @Option(names = "--expect-file", required = true, paramLabel = "FILE", description = "Lines of 'counter value'.")
    Path file;
    @Option(names = "--timeout", defaultValue = "30", description = "Seconds to wait for processors to catch up, 0 "
            + "(check once) to " + OptionRange.DAY_S + " (default ${DEFAULT-VALUE}).")
    @OptionRange(min = 0, max = OptionRange.DAY_S)
    long timeoutSeconds;

    @Override
    public Integer call() throws InterruptedException {
        Map<String, Long> expected = read(file);
        PrintWriter out = spec.commandLine().getOut();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        try (Session s = Session.existing(options.config(), Access.READ, spec)) {
            TallyReader reader = s.reader();
            Map<String, Long> wrong;
            do {
                wrong = new LinkedHashMap<>();
                for (Map.Entry<String, Long> e : expected.entrySet()) {
                    long actual = reader.counter(e.getKey()).value();
                    if (actual != e.getValue()) {
                        wrong.put(e.getKey(), actual);
                    }
                }
                if (wrong.isEmpty()) {
                    out.printf("verify: all %d counters match%n", expected.size());
                    return 0;
                }
                TimeUnit.MILLISECONDS.sleep(200);
            } while (System.nanoTime() < deadline);
            wrong.forEach((k, v) -> out.printf("verify: %s is %d, expected %d%n", k, v, expected.get(k)));
            out.printf("verify: %d of %d counters differ after %d s%n", wrong.size(), expected.size(), timeoutSeconds);
            return Cli.FAILURE;
        }
    }

    private static Map<String, Long> read(Path file) {
        Map<String, Long> map = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                int sp = line.lastIndexOf(' ');
                map.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1).strip()));
            }
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("cannot read --expect-file " + file + ": " + e.getMessage());
        }
        return map;
    }
}
