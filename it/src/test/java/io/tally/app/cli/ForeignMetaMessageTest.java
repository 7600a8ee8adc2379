package io.tally.app.cli;

import io.tally.common.internal.keys.Keys;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A namespace meta that another program wrote, with terminal escapes in the values a refusal quotes (a
 * dedupe layout, a partition-tags rule this version does not know): the one-line refusal (exit 2) shows
 * them escaped, so no control byte reaches the terminal.
 */
@ExtendWith(RealRedisExtension.class)
class ForeignMetaMessageTest {
    private static final String HOSTILE = "x\u001b]0;PWNED\u0007y\u009b2J";

    @ParameterizedTest
    @ValueSource(strings = {"2000000000", "16385", "0", "-3", "007", "1e3", "abc", ""})
    void aPartitionCountThatIsNoCount_isRefusedNamingTheMeta_byCommandsAndTheProcessor(String stored, TestRedis testRedis) {
        RedissonClient redis = testRedis.client();
        try {
            String namespace = TestRedis.uniqueNamespace();
            redis.getMap(Keys.meta(namespace), StringCodec.INSTANCE).put("partitions", stored);
            String why = "Namespace '" + namespace + "' has partitions '" + stored + "' (field partitions of "
                    + Keys.meta(namespace) + "), which is no partition count from 1 to 16384";

            for (String command : new String[] {"get", "status", "firings"}) {
                TallyCliTest.Run run = command.equals("get")
                        ? TallyCliTest.run("get", "c", "--redis-url", testRedis.url(), "--namespace", namespace)
                        : TallyCliTest.run(command, "--redis-url", testRedis.url(), "--namespace", namespace);
                assertThat(run.code()).as(command + ": " + run.err()).isEqualTo(Cli.USAGE);
                assertThat(run.err()).as(command).contains(why).doesNotContain("Exception").doesNotContain("\tat ");
            }
            TallyCliTest.Run processor = TallyCliTest.run("processor", "--redis-url", testRedis.url(),
                    "--namespace", namespace, "--metrics-port", "0");
            assertThat(processor.code()).as(processor.err()).isNotZero();
            assertThat(processor.err()).contains(why).doesNotContain("\tat ");
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void aRefusalQuotingTheMeta_escapesItsControlCharacters(TestRedis testRedis) {
        RedissonClient redis = testRedis.client();
        try {
            for (String field : new String[] {"dedupe", "partition-tags"}) {
                String namespace = TestRedis.uniqueNamespace();
                redis.getMap(Keys.meta(namespace), StringCodec.INSTANCE).put("partitions", "2");
                redis.getMap(Keys.meta(namespace), StringCodec.INSTANCE).put(field, HOSTILE);

                TallyCliTest.Run get = TallyCliTest.run("get", "c", "--redis-url", testRedis.url(), "--namespace", namespace);

                assertThat(get.code()).as(get.err()).isEqualTo(Cli.USAGE);
                assertThat(get.err()).contains("x\\x1b]0;PWNED\\x07y\\u009b2J")
                        .doesNotContain("\u001b").doesNotContain("\u0007").doesNotContain("\u009b");
            }
        } finally {
            redis.shutdown();
        }
    }
}
