package io.tally.producer.internal;

import io.tally.common.internal.redis.LuaScript;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With acks=replicas a retry that only repeats what was written (append_runs.lua writes nothing for it)
 * is confirmed by the WAIT after it. That is sound because Redis moves a client's replication offset
 * after every command, a call that writes nothing included: on a fresh connection WAIT still waits for
 * the replicas to have everything written before: a repeat of a call the replica lacks is not confirmed
 * until the replica has it.
 */
class RepeatWaitTest {

    @Test
    void aCallThatOnlyRepeats_isConfirmedByWaitOnlyWhenAReplicaHasIt() throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer master = RedisServer.start();
             RedisServer replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port()))) {
            awaitLink(replica);
            String sha;
            Object[] call;
            try (RawRedis admin = new RawRedis(master.url())) {
                sha = admin.callText("SCRIPT", "LOAD", LuaScript.resource("append_runs").source());
                long now = Long.parseLong(new String((byte[]) ((List<?>) admin.call("TIME")).get(0), StandardCharsets.US_ASCII)) * 1000;
                call = new Object[] {"EVALSHA", sha, "2", "t:{p0}:ops", "t:{p0}:producers:ops", "600000", "1:" + now, "1",
                        "1", "2", "0", "counter", "by", pack("x", "1")};
            }
            replica.pause();
            try {
                try (RawRedis first = new RawRedis(master.url())) {
                    first.call(call); // written on the master only; say its reply is lost
                    assertThat(first.callLong("WAIT", "1", "300")).as("the first call is not replicated").isZero();
                }
                try (RawRedis retry = new RawRedis(master.url())) {
                    Object repeat = retry.call(call); // the same call again: a repeat, nothing written
                    assertThat(repeat).as("answered as a repeat with the original id").isInstanceOf(List.class);
                    assertThat(retry.callLong("WAIT", "1", "300"))
                            .as("a repeat is not confirmed while the replica lacks the original").isZero();
                    replica.resume();
                    assertThat(retry.callLong("WAIT", "1", "5000"))
                            .as("confirmed once the replica has the original").isEqualTo(1);
                }
            } finally {
                replica.resume();
            }
        }
    }

    private static void awaitLink(RedisServer replica) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (replica.cli("INFO", "replication").contains("master_link_status:up")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the replica did not connect");
    }

    private static byte[] pack(String... values) {
        int size = MsgPack.arrayHeaderSize();
        for (String v : values) {
            size += MsgPack.packedSize(v.getBytes(StandardCharsets.UTF_8));
        }
        byte[] out = new byte[size];
        int at = MsgPack.writeArrayHeader(out, 0, values.length);
        for (String v : values) {
            at = MsgPack.writeString(out, at, v.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }
}
