package io.tally.common.internal.resp;

import java.io.IOException;

/** Redis answered a command with an error reply; the connection stays usable. */
public final class RespErrorReply extends IOException {
    public RespErrorReply(String message) {
        super(message);
    }
}
