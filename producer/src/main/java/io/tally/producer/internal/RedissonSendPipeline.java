package io.tally.producer.internal;

import io.tally.common.internal.redis.LuaScript;
import org.redisson.Redisson;
import org.redisson.api.BatchOptions;
import org.redisson.api.RFuture;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.RedisCommand;
import org.redisson.client.protocol.decoder.ObjectListReplayDecoder;
import org.redisson.command.CommandAsyncExecutor;
import org.redisson.command.CommandBatchService;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One pipeline of {@code append_runs.lua} calls on Redisson's batch executor, with arguments that are
 * already bytes: the pipeline of Sentinel, {@code acks=replicas} and {@code hot-path-connection redisson}
 * (Redisson routes each stream to its slot's master on a Cluster, and runs WAIT). The public {@code RBatch.getScript().evalShaAsync} would pass every argument through a
 * codec and Redisson's object-reference check, one pooled buffer each: with ~10 arguments per send
 * that was most of the producer's CPU. Here each argument is written to the socket as it is.
 *
 * <p>Each call goes in a Redisson batch of its own (with its own WAIT under acks=replicas), all of them
 * sent at once. One batch over several masters would not do: when one master answers a call with an
 * error, Redisson fails every call of the batch still waiting on the other masters with that same
 * error, though their scripts run and write after it; the producer would take it for their own refusal
 * and give their sequence numbers to new sends, which the script then answers as repeats, unwritten.
 * And a batch's WAIT count adds up the replicas of all its masters, so one master's confirmation
 * would stand for another's.
 *
 * <p>A call's failure is typed here as the direct path types it ({@link RedisErrorReplies}), so that
 * the rest of the producer judges failures by type whichever path they took.
 */
final class RedissonSendPipeline implements SendPipeline {
    private static final RedisCommand<List<Object>> EVALSHA =
            new RedisCommand<>("EVALSHA", new ObjectListReplayDecoder<>());
    /** What Redisson appends to an error reply it does not type. */
    private static final String REDISSON_SUFFIX = ". channel: ";

    private final CommandAsyncExecutor executor;
    private final BatchOptions options;
    private final byte[] sha;
    private final List<CommandBatchService> calls = new ArrayList<>();
    private final List<StreamGroup> groups = new ArrayList<>();

    private RedissonSendPipeline(CommandAsyncExecutor executor, BatchOptions options, byte[] sha) {
        this.executor = executor;
        this.options = options;
        this.sha = sha;
    }

    /** Redisson's command executor, which the producer needs; clients made by Redisson.create(...) have one. */
    static CommandAsyncExecutor executorOf(RedissonClient redis) {
        if (redis instanceof Redisson redisson) {
            return redisson.getCommandExecutor();
        }
        throw new IllegalArgumentException("TallyProducer needs a RedissonClient made by Redisson.create(...), got "
                + redis.getClass().getName());
    }

    static RedissonSendPipeline open(CommandAsyncExecutor executor, BatchOptions options, LuaScript script) {
        return new RedissonSendPipeline(executor, options, script.sha().getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public CompletableFuture<List<Object>> add(StreamGroup group, StreamKeys keys, byte[] dedupeWindowMs) {
        Object[] args = group.evalShaArgs(sha, keys.streamBytes(group.topic, group.partition),
                    keys.producersBytes(group.topic, group.partition), dedupeWindowMs);
        CommandBatchService call = executor.createCommandBatchService(options);
        RFuture<List<Object>> reply = call.writeAsync(keys.stream(group.topic, group.partition), StringCodec.INSTANCE,
                EVALSHA, args);
        calls.add(call);
        groups.add(group);
        return reply.toCompletableFuture().exceptionallyCompose(e -> CompletableFuture.failedFuture(typed(e)));
    }

    /** Sends every call's batch; completes once all have completed, exceptionally when any failed. */
    @Override
    public CompletableFuture<Void> execute() {
        List<CompletableFuture<?>> done = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            StreamGroup group = groups.get(i);
            CompletableFuture<?> one;
            try {
                // typed as the reply is: with acks=replicas the pipeline's failure stands in for the calls that replied
                one = calls.get(i).executeAsync().toCompletableFuture()
                        .thenAccept(result -> group.confirmedReplicas = result.getSyncedSlaves())
                        .exceptionallyCompose(e -> CompletableFuture.failedFuture(typed(e)));
            } catch (RuntimeException refused) {
                // Redisson may refuse a batch at once (a slot without a master during a failover); the
                // others are on their way, so this one fails like an asynchronous error, after them
                one = CompletableFuture.failedFuture(refused);
            }
            done.add(one);
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
    }

    /**
     * A call's failure as the direct path has it: an error reply that Redisson leaves untyped (a plain
     * {@link RedisException}; append_runs.lua refusing the call's dedupe buckets is one) typed by
     * {@link RedisErrorReplies} from Redis's text, with Redisson's exception as its cause. Any other
     * failure, typed by Redisson or not a reply of a code Tally types, stays as it is.
     */
    static Throwable typed(Throwable failure) {
        Throwable e = SendErrors.unwrap(failure);
        if (e.getClass() == RedisException.class && e.getMessage() != null) {
            RedisException typed = RedisErrorReplies.of(replyText(e.getMessage()));
            if (typed.getClass() != RedisException.class) {
                typed.initCause(e);
                return typed;
            }
        }
        return failure;
    }

    /** Redis's error text without what Redisson appends to it (". channel: ... command: ..."). */
    private static String replyText(String message) {
        int cut = message.indexOf(REDISSON_SUFFIX);
        return cut < 0 ? message : message.substring(0, cut);
    }
}
