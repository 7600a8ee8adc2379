package io.tally.app.cli;

import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Ctrl-C on {@code tally demo} while its private redis-server is still starting: the server it started is
 * stopped all the same (it runs in a session of its own, so the terminal's Ctrl-C never reaches it).
 */
@Timeout(120)
class DemoInterruptTest {

    @Test
    void sigint_whileThePrivateRedisStarts_stopsThatRedis(@TempDir Path dir) throws Exception {
        RedisServer.requireAvailable();
        String real = which("redis-server");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path pidFile = dir.resolve("redis.pid");
        // a redis-server that is slow to come up: writes its pid, sleeps, then becomes the real server (same pid)
        Path slow = bin.resolve("redis-server");
        Files.writeString(slow, "#!/bin/sh\n"
                + "if [ \"$1\" = --version ]; then exec " + real + " --version; fi\n"
                + "echo $$ > " + pidFile + "\n"
                + "sleep 4\n"
                + "exec " + real + " \"$@\"\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(slow, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path out = dir.resolve("out.txt");
        ProcessBuilder pb = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
                TallyMain.class.getName(), "demo", "--duration", "1")
                .redirectErrorStream(true).redirectOutput(out.toFile());
        Map<String, String> env = pb.environment();
        env.remove("TALLY_REDIS_URL");
        env.put("PATH", bin + ":" + env.get("PATH"));
        Process demo = pb.start();
        long redisPid = 0;
        try {
            await().atMost(60, TimeUnit.SECONDS).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
            redisPid = Long.parseLong(Files.readString(pidFile).strip());
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start();
            assertThat(kill.waitFor()).isZero();
            assertThat(demo.waitFor(30, TimeUnit.SECONDS)).as(read(out)).isTrue();
            long pid = redisPid;
            // the slow start is over after 4 s: by then the server must be gone, not serving on
            Thread.sleep(6000);
            assertThat(running(pid))
                    .as("redis-server (pid " + pid + ") the demo started is still running after Ctrl-C; output: " + read(out))
                    .isFalse();
        } finally {
            demo.destroyForcibly();
            if (redisPid != 0) {
                ProcessHandle.of(redisPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** Alive and not a zombie (a container's pid 1 may never reap an orphan that exited). */
    private static boolean running(long pid) throws IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text = Files.readString(stat);
        return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
    }

    private static String which(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", "command -v " + command).start();
        String path = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).isZero();
        return path;
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
