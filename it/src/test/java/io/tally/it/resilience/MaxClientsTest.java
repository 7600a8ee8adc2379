package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.it.resilience.RedisRestartTest.AdminClient;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.Pause;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis at {@code maxclients} while a processor and a producer run: their connections are killed and
 * Redis refuses every new one ("ERR max number of clients reached"). The processor reports not ready
 * and retries; every send ends within its timeout, failed retriable or outcome-unknown, none dropped;
 * once Redis takes clients again both go on by themselves and every counter is exact.
 */
class MaxClientsTest {
    private static final int P = 4;
    private static final long SEND_TIMEOUT_MS = 2000;

    @Test
    void redisRefusingNewClientsPausesTheProcessorAndLosesNoSend() throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer server = RedisServer.start()) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, P)
                    .set(TallyConfig.SEND_TIMEOUT_MS, SEND_TIMEOUT_MS).set(TallyConfig.REDIS_TIMEOUT_MS, 1000).build();
            try (Processor processor = Processor.start(config, ProcessorListener.NOOP);
                 TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
                 AckedWorkload load = new AckedWorkload(producer, "m", 20, true, 300);
                 Socket holder = new Socket("127.0.0.1", server.port())) {
                Keys keys = TestRedis.keys(config); // the processor created the namespace
                await().atMost(Duration.ofSeconds(10)).until(processor::ready);
                Pause.ms(500);

                // the holder stays the only client Redis takes
                holder.setSoTimeout(5_000);
                assertThat(command(holder, "CONFIG", "SET", "maxclients", "1")).isEqualTo("+OK");
                assertThat(command(holder, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")).startsWith(":");
                await().atMost(Duration.ofSeconds(10)).until(() -> !processor.ready());

                OutageProbes probes = OutageProbes.send(producer, "probe", 10, SEND_TIMEOUT_MS);
                assertThat(probes.acknowledged()).as("sends acknowledged while Redis took no client").isZero();
                assertThat(processor.ready()).isFalse();

                assertThat(command(holder, "CONFIG", "SET", "maxclients", "10000")).isEqualTo("+OK");
                await().atMost(Duration.ofSeconds(20)).until(processor::ready);
                Pause.ms(500);
                load.stopAndDrain(60);
                assertThat(load.acked()).isEqualTo(load.sent());
                try (AdminClient admin = new AdminClient(server)) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> Backlog.total(admin.redis, keys, P) == 0);
                    var counters = Counters.read(admin.redis, keys, P);
                    long probe = counters.getOrDefault("probe", 0L);
                    counters.remove("probe");
                    assertThat(counters).isEqualTo(load.model());
                    assertThat(probe).isBetween(0L, (long) probes.unknown());
                }
            }
        }
    }

    /** Sends one command on a raw connection and returns the first line of its reply. */
    private static String command(Socket socket, String... args) throws IOException {
        StringBuilder out = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            out.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        socket.getOutputStream().write(out.toString().getBytes(StandardCharsets.UTF_8));
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\r'; b = in.read()) {
            if (b < 0) {
                throw new IOException("Redis closed the connection; read so far: " + line);
            }
            line.append((char) b);
        }
        in.read(); // '\n'
        return line.toString();
    }
}
