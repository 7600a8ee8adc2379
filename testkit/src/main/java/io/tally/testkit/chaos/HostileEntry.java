package io.tally.testkit.chaos;

import java.util.List;
import java.util.Set;

/**
 * One entry a hostile writer XADDs straight into a partition stream, and what the contract says must
 * become of it: a dead letter (with one of {@code reasons}, any reason when empty), applied, or either
 * where the contract leaves the choice open, as long as the outcome is one of the two, exactly once.
 * For {@link Outcome#EITHER}, {@code counter} (or {@code trigger}, a logical trigger name) must hold
 * {@code ifApplied} when no dead letter was written and {@code ifDead} when one was.
 *
 * @param fields     flat field/value list ({@code String} or {@code byte[]}), repeated names allowed
 * @param explicitId the entry id to XADD with, or null for {@code *}
 */
public record HostileEntry(String label, int partition, String stream, List<Object> fields, String explicitId,
                           Outcome outcome, Set<String> reasons, String counter, String trigger, long ifApplied,
                           long ifDead) {
    /** What must become of the entry. */
    public enum Outcome { DEAD, APPLIED, EITHER }

    static HostileEntry applied(String label, int partition, String stream, List<Object> fields) {
        return new HostileEntry(label, partition, stream, fields, null, Outcome.APPLIED, Set.of(), null, null, 0, 0);
    }

    static HostileEntry dead(String label, int partition, String stream, List<Object> fields, String... reasons) {
        return new HostileEntry(label, partition, stream, fields, null, Outcome.DEAD, Set.of(reasons), null, null, 0, 0);
    }

    static HostileEntry eitherCounter(String label, int partition, List<Object> fields, String counter,
                                      long ifApplied, long ifDead) {
        return new HostileEntry(label, partition, "ops", fields, null, Outcome.EITHER, Set.of(), counter, null,
                ifApplied, ifDead);
    }

    static HostileEntry eitherFiring(String label, int partition, List<Object> fields, String trigger) {
        return new HostileEntry(label, partition, "events", fields, null, Outcome.EITHER, Set.of(), null, trigger, 1, 0);
    }

    HostileEntry withExplicitId(String id) {
        return new HostileEntry(label, partition, stream, fields, id, outcome, reasons, counter, trigger, ifApplied, ifDead);
    }

    @Override
    public String toString() {
        return label + " (partition " + partition + " " + stream + ")";
    }
}
