/**
 * The processor library: {@link io.tally.processor.Processor#start} runs a processor that applies its
 * share of a namespace's partitions exactly once, and reports to a
 * {@link io.tally.processor.ProcessorListener}.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.processor;
