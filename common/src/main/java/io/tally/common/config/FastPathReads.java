package io.tally.common.config;

/** How the processor's fast path reads stream batches (see {@code fast-path-reads}). */
public enum FastPathReads {
    DIRECT, REDISSON
}
