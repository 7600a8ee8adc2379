package io.tally.common.internal.wire;

/**
 * An entry written in a wire format version this code does not know. Not a dead letter: the
 * partition stops until a processor that knows the version takes it over.
 */
public final class UnsupportedVersionException extends RuntimeException {
    private final String version;

    public UnsupportedVersionException(String version) {
        super("entry has wire format version '" + version + "', this build understands only version "
                + WireFormat.VERSION + "; upgrade the processor");
        this.version = version;
    }

    public String version() {
        return version;
    }
}
