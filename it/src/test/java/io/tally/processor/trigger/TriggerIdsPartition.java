package io.tally.processor.trigger;

import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.trigger.TriggerIds;

/** Partition helpers for assertions. */
final class TriggerIdsPartition {
    private TriggerIdsPartition() {
    }

    static int of(String triggerId) {
        return TriggerIds.partitionOf(triggerId, Integer.MAX_VALUE);
    }

    static int ofCounter(TriggerFixture fx, String counter) {
        return new Partitioner(fx.triggers.partitions()).partitionOf(counter);
    }
}
