package io.tally.app.demo;

import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's private redis-server runs in a session of its own, so that Ctrl-C at the terminal reaches
 * only the JVM (which stops the processors, then the server) instead of stopping Redis under them.
 */
class DemoRedisTest {

    @Test
    void thePrivateServerHasAProcessGroupOfItsOwnAndStopsOnClose() throws Exception {
        RedisServer.requireAvailable();
        assertThat(Files.isExecutable(Path.of("/usr/bin/setsid")) || Files.isExecutable(Path.of("/bin/setsid")))
                .as("setsid is not installed (apt-get install -y util-linux): the demo starts its Redis with it").isTrue();
        long pid;
        try (DemoRedis redis = DemoRedis.obtain(null)) {
            Matcher m = Pattern.compile("pid (\\d+)").matcher(redis.description());
            assertThat(m.find()).as(redis.description()).isTrue();
            pid = Long.parseLong(m.group(1));
            assertThat(command(pid)).startsWith("redis-server");
            assertThat(processGroup(pid)).isEqualTo(pid).isNotEqualTo(processGroup(ProcessHandle.current().pid()));
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    private static String command(long pid) throws Exception {
        return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
    }

    /** Field 5 of /proc/<pid>/stat (after the parenthesised command name). */
    private static long processGroup(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[2]);
    }
}
