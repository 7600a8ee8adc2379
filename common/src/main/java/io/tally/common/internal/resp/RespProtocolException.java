package io.tally.common.internal.resp;

import java.io.IOException;

/** The bytes from Redis are not the RESP2 reply expected; the connection is closed. */
public final class RespProtocolException extends IOException {
    public RespProtocolException(String message) {
        super(message);
    }
}
