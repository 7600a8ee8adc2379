package io.tally.processor.trigger;

import io.tally.common.internal.trigger.TriggerIds;
import io.tally.common.trigger.Firing;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerKind;
import io.tally.common.trigger.TriggerStatus;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@ExtendWith(RealRedisExtension.class)
class TimeTriggersTest {

    @Test
    void onceTrigger_firesOnceWithin500msAfterItsTime_canceledOneNeverFires(TestRedis testRedis) throws Exception {
        try (TriggerFixture fx = new TriggerFixture(testRedis, 4, 1)) {
            long at = fx.redisTimeMs() + 2000;
            Trigger due = fx.triggers.create(TriggerDefinition.time(at).param("reminder", "r1").build());
            Trigger canceled = fx.triggers.create(TriggerDefinition.time(at).build());
            await().atMost(Duration.ofSeconds(3)).until(() -> fx.redisTimeMs() >= at - 1000);
            assertThat(fx.triggers.cancel(canceled.id()).orElseThrow().status()).isEqualTo(TriggerStatus.CANCELED);

            await().atMost(Duration.ofSeconds(4)).until(() -> fx.firingsOf(due.id()).size() == 1);
            Thread.sleep(700); // a second firing would show up by now
            List<Firing> firings = fx.firingsOf(due.id());
            assertThat(firings).hasSize(1);
            Firing f = firings.get(0);
            assertThat(f.kind()).isEqualTo(TriggerKind.TIME);
            assertThat(f.cause()).isEqualTo(Long.toString(at));
            assertThat(f.firedAt()).isBetween(at, at + 500);
            assertThat(f.missed()).isZero();
            assertThat(f.params()).containsEntry("reminder", "r1");
            assertThat(fx.triggers.get(due.id()).orElseThrow().status()).isEqualTo(TriggerStatus.FIRED);

            assertThat(fx.firingsOf(canceled.id())).isEmpty();
            Trigger c = fx.triggers.get(canceled.id()).orElseThrow();
            assertThat(c.status()).isEqualTo(TriggerStatus.CANCELED);
            assertThat(c.canceledAt()).isNotNull().isLessThan(at);
            assertThat(c.fireCount()).isZero();
        }
    }

    @Test
    void every500ms_firesTheExpectedNumberOfTimesOver5s_onItsGrid(TestRedis testRedis) throws Exception {
        try (TriggerFixture fx = new TriggerFixture(testRedis, 4, 1)) {
            // Far enough ahead that a slow first create (class loading) does not move the start.
            long at = fx.redisTimeMs() + 1500;
            Trigger t = fx.triggers.create(TriggerDefinition.time(at).every(500L).build());
            // Due at at, at+500, ..., at+4500 within 5 s: 10 firings; count between two grid points.
            await().atMost(Duration.ofSeconds(9)).until(() -> fx.redisTimeMs() >= at + 4750);
            List<Firing> firings = fx.firingsOf(t.id());
            assertThat(firings.size()).isBetween(9, 11);
            for (int i = 0; i < firings.size(); i++) {
                assertThat(firings.get(i).cause()).isEqualTo(Long.toString(at + 500L * i)); // no drift
                assertThat(firings.get(i).missed()).isZero();
            }
            fx.triggers.cancel(t.id());
            int after = fx.firingsOf(t.id()).size();
            Thread.sleep(700);
            assertThat(fx.firingsOf(t.id())).hasSize(after);
        }
    }

    @Test
    void everyTrigger_periodsMissedWhileNoProcessorRan_mergeIntoOneFiring(TestRedis testRedis) throws Exception {
        try (TriggerFixture fx = new TriggerFixture(testRedis, 2, 0)) {
            long at = fx.redisTimeMs() + 2000;
            Trigger t = fx.triggers.create(TriggerDefinition.time(at).every(200L).build());
            await().atMost(Duration.ofSeconds(5)).until(() -> fx.redisTimeMs() >= at + 1100); // due: at..at+1000
            fx.processors.add(RedisProcessor.start(fx.redis, fx.config,
                    io.tally.processor.ProcessorListener.NOOP));
            await().atMost(Duration.ofSeconds(10)).until(() -> !fx.firingsOf(t.id()).isEmpty());
            Firing first = fx.firingsOf(t.id()).get(0);
            assertThat(first.missed()).isGreaterThanOrEqualTo(5);
            // it names the newest due time it stands for; the missed ones lie before it, from at on
            assertThat(Long.parseLong(first.cause())).isEqualTo(at + 200 * first.missed());
            await().atMost(Duration.ofSeconds(3)).until(() -> fx.firingsOf(t.id()).size() >= 2);
            Firing second = fx.firingsOf(t.id()).get(1);
            assertThat(Long.parseLong(second.cause())).isEqualTo(at + 200 * (first.missed() + 1));
        }
    }

    @Test
    void aFiringsStreamOutOfIds_keepsTheTriggerScheduledAndTheProcessorReady_andItFiresOnceRepaired(TestRedis testRedis)
            throws Exception {
        java.util.concurrent.atomic.AtomicInteger blockedPartitions = new java.util.concurrent.atomic.AtomicInteger(-1);
        ProcessorListener metrics = new ProcessorListener() {
            @Override
            public void timeTriggersBlocked(int partitions) {
                blockedPartitions.set(partitions);
            }
        };
        try (TriggerFixture fx = new TriggerFixture(testRedis, 4, 1, metrics)) {
            long at = fx.redisTimeMs() + 500;
            Trigger t = fx.triggers.create(TriggerDefinition.time(at).build());
            String firings = fx.keys.firings(TriggerIds.partitionOf(t.id(), 4));
            // a program other than Tally used up the stream's ids: every later 'XADD firings *' fails
            fx.redis.getScript(StringCodec.INSTANCE).eval(RScript.Mode.READ_WRITE,
                    "return redis.call('XADD', KEYS[1], ARGV[1], 'x', 'y')", RScript.ReturnType.VALUE,
                    List.of(firings), "18446744073709551615-18446744073709551615");

            while (fx.redisTimeMs() < at + 1000) {
                assertThat(fx.processors.get(0).ready()).as("processor ready while the trigger is blocked").isTrue();
                Thread.sleep(20);
            }
            Trigger blocked = fx.triggers.get(t.id()).orElseThrow();
            assertThat(blocked.status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(blocked.fireCount()).isZero();
            assertThat(blockedPartitions.get()).as("partitions whose time triggers are blocked").isEqualTo(1);
            assertThat(fx.redis.getScoredSortedSet(fx.keys.schedule(TriggerIds.partitionOf(t.id(), 4)),
                    StringCodec.INSTANCE).getScore(t.id())).isEqualTo((double) at);

            fx.redis.getKeys().delete(firings); // the repair: no consumer group reads it
            await().atMost(Duration.ofSeconds(3)).until(() -> fx.firingsOf(t.id()).size() == 1);
            Firing late = fx.firingsOf(t.id()).get(0);
            assertThat(late.cause()).isEqualTo(Long.toString(at));
            assertThat(late.firedAt()).isGreaterThanOrEqualTo(at + 1000);
            assertThat(fx.triggers.get(t.id()).orElseThrow().status()).isEqualTo(TriggerStatus.FIRED);
            assertThat(blockedPartitions.get()).as("partitions whose time triggers are blocked").isZero();
        }
    }
}
