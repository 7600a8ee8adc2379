package io.tally.common.internal.resp;

import java.io.IOException;

/** Reads exactly one reply from a {@link RespReader} into whatever form its caller needs. */
@FunctionalInterface
public interface ReplyParser<T> {
    T parse(RespReader in) throws IOException;
}
