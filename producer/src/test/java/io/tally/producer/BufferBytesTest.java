package io.tally.producer;

import io.tally.common.config.TallyConfig;
import io.tally.common.model.Event;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The producer's buffer is bounded in bytes as well as in sends: while Redis takes nothing, sends of the
 * largest entry the wire format allows (100 parameters of 65,536 bytes, 6.5 MB) fill
 * {@code producer-buffer-bytes} and the rest are refused at once, rather than 100,000 of them (650 GB) queued.
 */
class BufferBytesTest {
    private static final int SENDS = 64;

    @Test
    void sendsOfLargeEventsWhileRedisIsStalledAreRefusedOnceTheirBytesFillTheBuffer() throws Exception {
        try (TestRedis redis = TestRedis.ownServer()) {
            TallyConfig config = redis.config(1).set(TallyConfig.SEND_TIMEOUT_MS, 5_000L).build();
            RedisServer server = redis.server().orElseThrow();
            Map<String, String> params = new HashMap<>();
            String value = "x".repeat(65_536);                    // the caller holds one value, shared
            for (int i = 0; i < 100; i++) {
                params.put("p" + i, value);
            }
            Event largest = Event.of("upload", params);
            List<CompletableFuture<SendResult>> sends = new ArrayList<>();
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                producer.incr("warm", 1).join();
                long before = heapUsedAfterGc();
                server.pause();
                try {
                    for (int i = 0; i < SENDS; i++) {
                        sends.add(producer.emit(largest));
                    }
                    long admitted = sends.stream().filter(f -> !f.isCompletedExceptionally()).count();
                    long grown = heapUsedAfterGc() - before;
                    System.out.printf("admitted %d of %d sends of 6.5 MB; heap grew by %d MB%n",
                            admitted, SENDS, grown >> 20);
                    assertThat(grown).as("heap held by queued sends, bytes").isLessThan(128L << 20);
                    assertThat(admitted).as("sends of 6.5 MB within the default 32 MiB").isBetween(1L, 6L);
                    assertThat(sends.get(SENDS - 1)).isCompletedExceptionally();
                    assertThatThrownBy(sends.get(SENDS - 1)::join).hasCauseInstanceOf(BackpressureException.class)
                            .hasMessageContaining("producer-buffer-bytes");
                } finally {
                    server.kill();                                // the queued sends fail after send-timeout-ms
                }
            }
        }
    }

    private static long heapUsedAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
