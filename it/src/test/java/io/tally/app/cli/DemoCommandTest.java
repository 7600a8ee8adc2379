package io.tally.app.cli;

import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs {@code tally demo --duration} in-process and checks what it prints. */
@ExtendWith(RealRedisExtension.class)
class DemoCommandTest {
    @Test
    void demoOnAGivenRedis_playsTheSeedScenario_andPrintsHowToTryIt(TestRedis redis) {
        TallyCliTest.Run run = TallyCliTest.run("demo", "--duration", "1", "--redis-url", redis.url(),
                "--namespace", TestRedis.uniqueNamespace(), "--partitions", "4");
        assertThat(run.code()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("given with --redis-url")
                .contains("owns")
                .contains("-> page_views = 1000")
                .contains("-> page_views = 500")
                .contains("-> page_views = 0")
                .contains("result: page_views = 7 (as expected)")
                .containsPattern("fired: event trigger t\\d+-\\w{26} \\(click with button=buy, once\\) cause \\d+-\\d+")
                .containsPattern("fired: threshold trigger t\\d+-\\w{26} \\(signups >= 100\\) cause \\d+-\\d+")
                .containsPattern("fired: time trigger t\\d+-\\w{26} \\(time, 3 s ahead\\) cause \\d+")
                .containsPattern("event +fired +fired 1 time")
                .containsPattern("threshold +fired +fired 1 time")
                .containsPattern("time +fired +fired 1 time")
                .contains("result: each trigger fired once (as expected)")
                .containsPattern("api +http://127\\.0\\.0\\.1:\\d+")
                .containsPattern("export TALLY_TOKEN=[0-9a-f]{32}")
                .contains("curl -s -X POST")
                .contains("Running for 1 s.");
    }

    @Test
    @Tag("slow")
    void demoWithoutRedisUrl_startsAPrivateRedisServer() {
        io.tally.testkit.RedisServer.requireAvailable();
        TallyCliTest.Run run = TallyCliTest.run("demo", "--duration", "1");
        assertThat(run.code()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("private redis-server").contains("result: page_views = 7 (as expected)");
    }
}
