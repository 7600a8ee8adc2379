package io.tally.producer.read;

import io.tally.common.trigger.Firing;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;

/**
 * Reads what the processors have applied: counter values and the counter list, checkpoints
 * (read-your-writes), series buckets and unique counts, and recent trigger firings; also deletes
 * counters. Reads see applied entries only. Every command touches one partition's keys (a union of
 * unique counts over several partitions is counted on one of them), so all of it works on Redis Cluster.
 * Calls are synchronous unless named async, and thread-safe. A read that meets a key another program stored in a
 * form Tally cannot read (a counter value that is not a canonical 64-bit integer, a unique count that is not a
 * HyperLogLog, a checkpoint that is not a stream id, a key of another type) throws
 * {@link UnreadableStateException} naming the counter and the key; no number is guessed. The paged listing
 * ({@link #counterPage}) instead lists such a counter apart, so that it hides no other counter. Get one from
 * {@link io.tally.producer.Tally#reader()}.
 */
public interface TallyReader {

    /**
     * The namespace's partition count.
     *
     * @return P
     */
    int partitions();

    /**
     * The partition of a routing key (a counter name or an event type).
     *
     * @param routingKey counter name or event type
     * @return its partition, in {@code 0..partitions()-1}
     */
    int partitionOf(String routingKey);

    /**
     * The applied value of a counter (one HGET).
     *
     * @param name counter name
     * @return its value; {@link CounterValue#exists()} is false when it was never written or was deleted
     * @throws io.tally.common.model.InvalidEntryException when the name is not a valid counter name
     * @throws UnreadableStateException when its stored value is not a canonical 64-bit integer, or its partition's
     *                                  counters key not a hash
     */
    CounterValue counter(String name);

    /**
     * The first {@code limit} counters by name among those whose name starts with {@code prefix}, sorted by
     * name, each once (HSCAN over every partition: counters created or deleted meanwhile may or may not be
     * among them). Memory is bounded by {@code limit}: only the first names found so far are kept. The work
     * is not: finding them scans every counter of the namespace (Redis applies the prefix as it scans). For
     * work bounded per call, page with {@link #counterPage}.
     *
     * @param prefix name prefix; null or empty for all counters
     * @param limit  most counters returned, at least 0 (0 reads nothing)
     * @return at most {@code limit} counters, those whose names sort first, sorted by name
     * @throws IllegalArgumentException when {@code limit} is negative
     */
    List<CounterValue> counters(String prefix, int limit);

    /**
     * One page of the counters whose name starts with {@code prefix}, in no particular order, with work
     * bounded by {@code limit} (a few HSCAN calls of at most {@code limit} elements), not by the namespace's
     * size. Page on with the returned cursor until it is null. A counter present for the whole listing is
     * returned at least once (twice if Redis resizes its hash meanwhile), however often the hash changes: a page
     * takes each HSCAN call's reply whole or leaves the call to the next page. One created or deleted meanwhile
     * may or may not be. So {@code limit} is approximate: a page may hold fewer than {@code limit} counters, even
     * none, before the end, or a few more, never more than twice {@code limit} unless its first call alone does
     * (a small hash, kept as a listpack, comes whole: docs/api.md).
     * A counter whose stored value is not a canonical 64-bit integer does not fail the page: it is listed in
     * {@link CounterPage#unreadable()} (name, key, what is wrong) instead of {@link CounterPage#counters()}, and
     * the cursor goes on past it. Nothing is logged here: the caller says what it found.
     *
     * @param prefix name prefix; null or empty for all counters
     * @param cursor null or empty for the first page, else {@link CounterPage#cursor()} of the page before
     * @param limit  about how many counters this page holds, 1 to {@link #MAX_PAGE_LIMIT}
     * @return the page and where the next one starts
     * @throws IllegalArgumentException when the cursor is not one this namespace's listing returned, or the
     *                                  limit is out of range
     * @throws UnreadableStateException when a partition's counters key is not a hash
     */
    CounterPage counterPage(String prefix, String cursor, int limit);

    /** The largest {@code limit} of {@link #counterPage}. */
    int MAX_PAGE_LIMIT = 10_000;

    /**
     * Deletes a counter: its total (HDEL) and its unique count (DEL of its HyperLogLog), what makes it exist; its
     * series buckets stay until retention removes them. Operations still in its stream recreate it when they are
     * applied.
     *
     * @param name counter name
     * @return true when the counter existed (a total or a unique count)
     * @throws io.tally.common.model.InvalidEntryException when the name is not a valid counter name
     * @throws io.tally.producer.OutcomeUnknownException when Redis did not answer a delete within
     *                                  {@code redis-timeout-ms} (it may still run it), or failed after the total
     *                                  was deleted: delete again, which is safe (a delete is idempotent); any
     *                                  other failure wrote nothing
     */
    boolean deleteCounter(String name);

    /**
     * The last applied entry id of a partition's topic.
     *
     * @param partition the partition
     * @param topic     {@link Topic#OPS} or {@link Topic#EVENTS}
     * @return the checkpoint, {@code 0-0} when nothing was applied yet
     * @throws IllegalArgumentException when the partition does not exist
     */
    String checkpoint(int partition, Topic topic);

    /**
     * {@link #checkpoint} without blocking, for waits that must not hold a thread.
     *
     * @param partition the partition
     * @param topic     {@link Topic#OPS} or {@link Topic#EVENTS}
     * @return the checkpoint, {@code 0-0} when nothing was applied yet
     * @throws IllegalArgumentException when the partition does not exist
     */
    CompletionStage<String> checkpointAsync(int partition, Topic topic);

    /**
     * Read-your-writes: whether the entry (as a send returned it) has been applied, or dead-lettered, by
     * the partition's processor, i.e. whether the checkpoint has reached it.
     *
     * @param partition {@link io.tally.producer.SendResult#partition()}
     * @param topic     {@link Topic#OPS} for counter operations, {@link Topic#EVENTS} for events
     * @param entryId   {@link io.tally.producer.SendResult#entryId()}
     * @return true once applied
     * @throws IllegalArgumentException when the id is not a stream id or the partition does not exist
     */
    boolean isApplied(int partition, Topic topic, String entryId);

    /**
     * Waits until {@link #isApplied} holds or the timeout passes.
     *
     * @param partition {@link io.tally.producer.SendResult#partition()}
     * @param topic     {@link Topic#OPS} for counter operations, {@link Topic#EVENTS} for events
     * @param entryId   {@link io.tally.producer.SendResult#entryId()}
     * @param timeout   longest wait
     * @return whether the entry was applied within the timeout
     * @throws IllegalArgumentException when the id is not a stream id or the partition does not exist
     */
    boolean awaitApplied(int partition, Topic topic, String entryId, Duration timeout);

    /**
     * The most recent firings over all partitions, newest first (merged by entry id, which is Redis time).
     * It reads about {@code limit} entries plus ceil(limit / P) per partition, never {@code limit} from every
     * partition: more only from the partitions whose older entries may still be among the newest.
     * An entry of a {@code firings} stream that is not a firing (a field missing or malformed: only something
     * other than a processor writes one) is left out, and each call that meets any logs one warning with
     * their number; so fewer than {@code limit} may be returned though more firings exist.
     *
     * @param limit most firings returned
     * @return the firings, at most {@code limit}
     * @throws UnreadableStateException when a partition's {@code firings} key holds another type than a stream
     *                                  (another program wrote it), naming the key: a list without that
     *                                  partition's firings would look whole and be wrong
     */
    List<Firing> recentFirings(int limit);

    /**
     * The buckets of a counter's series: those of {@code window} whose start lies in [bucket of
     * {@code fromMs}, {@code toMs}), oldest first, with 0 for buckets that have no entry (or were
     * removed by retention). Only operations sent with {@code withWindows(window)} count in a series.
     *
     * @param counter counter name
     * @param window  a window of {@code series-windows}, e.g. {@code 1m}, {@code 1h} or {@code 1d}
     * @param fromMs  start, epoch ms; its bucket is the first
     * @param toMs    end, epoch ms, exclusive
     * @return the buckets, at most {@value io.tally.producer.read.SeriesBucket#MAX_BUCKETS}
     * @throws IllegalArgumentException for a window that is not configured, or a range of more buckets
     */
    List<SeriesBucket> series(String counter, String window, long fromMs, long toMs);

    /**
     * Estimated number of distinct members ever added to a counter with {@code unique} operations
     * (HyperLogLog, standard error about 0.81%).
     *
     * @param counter counter name
     * @return the estimate; 0 when none was added
     */
    long unique(String counter);

    /**
     * As {@link #unique}, but empty when the counter has no unique count (no {@code unique} operation
     * was ever applied to it), so that "no unique counting" differs from "0 members". One round trip.
     *
     * @param counter counter name
     * @return the estimate, or empty
     */
    OptionalLong uniqueIfPresent(String counter);

    /**
     * Estimated number of distinct members of a counter over the buckets of {@code window} that start in
     * [bucket of {@code fromMs}, {@code toMs}), e.g. the 7 daily buckets of a week: the union, not the
     * sum (a member seen on two days counts once).
     *
     * @param counter counter name
     * @param window  a window of {@code series-windows}
     * @param fromMs  start, epoch ms; its bucket is the first
     * @param toMs    end, epoch ms, exclusive
     * @return the estimate
     * @throws IllegalArgumentException for a window that is not configured, or a range of more buckets
     *                                  than {@value io.tally.producer.read.SeriesBucket#MAX_BUCKETS}
     */
    long uniqueInBuckets(String counter, String window, long fromMs, long toMs);

    /**
     * Estimated number of distinct members in the union of these counters' all-time unique counts.
     *
     * @param counters counter names
     * @return the estimate; 0 for no counters
     * @throws IllegalArgumentException for more than 5,000 counters that lie on more than one partition
     */
    long uniqueUnion(Collection<String> counters);
}
