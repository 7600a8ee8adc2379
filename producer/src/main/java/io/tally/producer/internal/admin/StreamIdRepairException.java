package io.tally.producer.internal.admin;

/** A stream id repair that wrote nothing for now: waiting longer or another step by the operator comes first. */
public final class StreamIdRepairException extends RuntimeException {
    public StreamIdRepairException(String message) {
        super(message);
    }
}
