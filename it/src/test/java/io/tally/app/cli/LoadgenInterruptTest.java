package io.tally.app.cli;

import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Ctrl-C on {@code tally loadgen}: the summary and the expect file all the same, then exit 130. */
@Timeout(120)
class LoadgenInterruptTest {

    @Test
    void sigint_stopsSending_printsTheSummaryAndExpectFile_andExits130(@TempDir Path dir) throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer redis = RedisServer.start()) {
            assertThat(TallyCliTest.run("init", "--redis-url", redis.url(), "--partitions", "2").code()).isZero();
            Path out = dir.resolve("out.txt");
            Path expect = dir.resolve("expect.txt");
            Process loadgen = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
                    TallyMain.class.getName(), "loadgen", "--redis-url", redis.url(), "--rate", "200", "--duration", "300",
                    "--counters", "3", "--prefix", "sig-", "--expect-file", expect.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                await().atMost(60, TimeUnit.SECONDS).until(() -> read(out).contains("acked"));
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(loadgen.pid())).start();
                assertThat(kill.waitFor()).isZero();
                assertThat(loadgen.waitFor(30, TimeUnit.SECONDS)).as(read(out)).isTrue();
                assertThat(loadgen.exitValue()).as(read(out)).isEqualTo(130);
            } finally {
                loadgen.destroyForcibly();
            }
            String text = read(out);
            assertThat(text).containsPattern("loadgen: interrupted: sent \\d+ in [0-9.]+ s .*errors 0")
                    .contains("loadgen: wrote expected values of 3 counters to " + expect);
            List<String> lines = Files.readAllLines(expect);
            assertThat(lines).hasSize(3).allMatch(l -> l.matches("sig-[0-2] \\d+"));
        }
    }

    @Test
    void sigint_whileWaitingForTheNamespace_endsItAtOnce(@TempDir Path dir) throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer redis = RedisServer.start()) {
            Path out = dir.resolve("out.txt");
            // no namespace yet: loadgen waits up to send-timeout-ms for a processor to create it
            Process loadgen = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
                    TallyMain.class.getName(), "loadgen", "--redis-url", redis.url(), "--send-timeout-ms", "120000",
                    "--duration", "300").redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                await().atMost(60, TimeUnit.SECONDS).until(() -> read(out).contains("loadgen: "));
                Thread.sleep(500);
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(loadgen.pid())).start();
                assertThat(kill.waitFor()).isZero();
                assertThat(loadgen.waitFor(10, TimeUnit.SECONDS)).as("Ctrl-C ends the wait: " + read(out)).isTrue();
                assertThat(loadgen.exitValue()).as(read(out)).isEqualTo(130);
            } finally {
                loadgen.destroyForcibly();
            }
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
