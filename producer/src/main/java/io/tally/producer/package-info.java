/**
 * The client library. {@link io.tally.producer.Tally#connect} is the way in: it owns a Redis client and
 * hands out the {@link io.tally.producer.TallyProducer} (counter operations and events), the
 * {@link io.tally.producer.read.TallyReader} (counters, checkpoints, series, unique counts), the
 * {@link io.tally.producer.triggers.TriggerClient}, firings consumers, dead letters and status. The
 * producer's exceptions extend {@link io.tally.producer.TallyException}.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.producer;
