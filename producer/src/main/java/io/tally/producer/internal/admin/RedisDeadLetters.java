package io.tally.producer.internal.admin;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.producer.dlq.DeadLetter;
import io.tally.producer.dlq.DeadLetterFilter;
import io.tally.producer.dlq.DeadLetters;
import io.tally.producer.internal.SingleAttempt;
import io.tally.producer.internal.read.StreamPage;
import io.tally.producer.read.Topic;
import org.redisson.api.RScript;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@link DeadLetters} on Redisson: pages through the dead-letter streams with {@code stream_page.lua} and
 * deletes with {@code dlq_delete.lua}, both of which keep ids the strings Redis wrote (another program may
 * XADD a letter whose id Redisson cannot parse); replays with {@code dlq_replay.lua}, which re-appends and
 * deletes in one atomic call.
 */
public final class RedisDeadLetters implements DeadLetters {
    private static final LuaScript REPLAY = LuaScript.resource("dlq_replay");
    private static final LuaScript DELETE = LuaScript.resource("dlq_delete");
    private static final int PAGE = 500;
    /** How dlq_replay.lua starts the error reply by which it refuses one letter. */
    private static final String REFUSAL = "dlq_replay: ";
    /** What Redisson appends to a script's error reply. */
    private static final List<String> REDISSON_TAILS = List.of(" script: ", ". channel: ", " channel: ");

    private final RedissonClient redis;
    /** For replays and deletes, whose failure must tell whether they may have been applied ({@link SingleAttempt}). */
    private final RScript once;
    private final Keys keys;
    private final int partitions;

    /** Dead letters of a namespace whose P is known, on a shared Redis client. */
    public RedisDeadLetters(RedissonClient redis, Keys keys, int partitions) {
        this.redis = redis;
        this.once = SingleAttempt.script(redis);
        this.keys = keys;
        this.partitions = partitions;
    }

    @Override
    public List<DeadLetter> list(DeadLetterFilter filter, int limit) {
        List<DeadLetter> out = new ArrayList<>();
        scan(filter, limit, out::add);
        return out;
    }

    @Override
    public long count(int partition) {
        return stream(partition).size();
    }

    @Override
    public List<Replayed> replay(DeadLetterFilter filter, int limit) {
        List<DeadLetter> letters = list(filter, limit);
        List<Replayed> out = new ArrayList<>(letters.size());
        for (DeadLetter letter : letters) {
            replayOne(letter).ifPresent(newId -> out.add(new Replayed(letter, newId)));
        }
        return out;
    }

    /**
     * Replays one listed dead letter: re-appends its entry and deletes it in one script call.
     *
     * @return the entry's new id in its source stream, or empty when the letter is gone (replayed or purged
     *         since it was listed)
     * @throws DeadLetterRefusedException when this letter cannot be replayed; it is kept and nothing is written
     * @throws io.tally.producer.OutcomeUnknownException when Redis did not answer the replay within
     *                                    {@code redis-timeout-ms}: it may still run it; replaying again is safe
     */
    public Optional<String> replayOne(DeadLetter letter) {
        Topic topic = Topic.fromWire(letter.source());
        if (topic == null) {
            throw new DeadLetterRefusedException("dead letter " + letter.id() + " of partition " + letter.partition()
                    + " has source '" + letter.source() + "', not ops or events; it cannot be replayed and is kept");
        }
        String target = topic == Topic.OPS ? keys.ops(letter.partition()) : keys.events(letter.partition());
        String newId;
        try {
            newId = SingleAttempt.write(() -> REPLAY.eval(redis, once, RScript.ReturnType.VALUE,
                    List.of(keys.dlq(letter.partition()), target), letter.id(), topic.wireName()),
                    () -> "dead letter " + letter.id() + " of partition " + letter.partition() + " may or may not have "
                            + "been replayed: Redis did not answer within redis-timeout-ms, and may still run the "
                            + "replay; replaying again is safe (a letter leaves the dead-letter stream in the same "
                            + "step as its entry is appended, so it is never appended twice)");
        } catch (RedisException e) {
            throw refusal(e).orElseThrow(() -> e);
        }
        return newId == null || newId.isEmpty() ? Optional.empty() : Optional.of(newId);
    }

    /**
     * The script's own refusal of one letter, as its message without what Redisson adds (script, channel,
     * command); empty for any other failure (Redis unreachable, a source stream that cannot take an entry),
     * which concerns more than this letter.
     */
    private static Optional<DeadLetterRefusedException> refusal(RedisException e) {
        String message = String.valueOf(e.getMessage());
        int start = message.indexOf(REFUSAL);
        if (e.getClass() != RedisException.class || start < 0) {
            return Optional.empty();
        }
        String why = message.substring(start + REFUSAL.length());
        for (String tail : REDISSON_TAILS) {
            int at = why.indexOf(tail);
            if (at >= 0) {
                why = why.substring(0, at);
            }
        }
        return Optional.of(new DeadLetterRefusedException(why.strip()));
    }

    @Override
    public long purge(DeadLetterFilter filter, int limit) {
        long deleted = 0;
        for (DeadLetter letter : list(filter, limit)) {
            long before = deleted;
            Long n = SingleAttempt.write(() -> DELETE.eval(redis, once, RScript.ReturnType.LONG,
                    List.of(keys.dlq(letter.partition())), letter.id()),
                    () -> "purge deleted " + before + " dead letter(s), then dead letter " + letter.id()
                            + " of partition " + letter.partition() + " may or may not have been deleted: Redis did "
                            + "not answer within redis-timeout-ms, and may still run the delete; purging again is "
                            + "safe (a delete is idempotent)");
            deleted += n == null ? 0 : n;
        }
        return deleted;
    }

    private void scan(DeadLetterFilter filter, int limit, Consumer<DeadLetter> sink) {
        int found = 0;
        for (int p = 0; p < partitions && found < limit; p++) {
            if (filter.partition() != null && filter.partition() != p) {
                continue;
            }
            String after = "";
            while (found < limit) {
                List<Object> reply = StreamPage.SCRIPT.eval(redis, StringCodec.INSTANCE, RScript.ReturnType.LIST,
                        List.of(keys.dlq(p)), after, PAGE, StreamPage.FORWARD);
                Map<String, Map<String, String>> page = StreamPage.entries(reply);
                for (Map.Entry<String, Map<String, String>> e : page.entrySet()) {
                    after = e.getKey();
                    DeadLetter letter = DeadLetter.of(p, after, e.getValue());
                    if (filter.matches(letter) && found < limit) {
                        sink.accept(letter);
                        found++;
                    }
                }
                if (page.size() < PAGE) {
                    break;
                }
            }
        }
    }

    private RStream<String, String> stream(int p) {
        return redis.getStream(keys.dlq(p), StringCodec.INSTANCE);
    }
}
