package io.tally.processor.internal.apply;

import io.tally.processor.internal.batch.*;
import io.tally.processor.internal.transport.*;

import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.CommandOutput;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A script's reply as the direct path's pipeline gives it: a flat list of strings (bulk and status
 * replies) and longs (integers), a single value as a list of one. The apply scripts answer flat lists
 * of a few elements ({'OK', applied, redelivered}).
 */
final class LettuceScriptReplyOutput extends CommandOutput<byte[], byte[], List<Object>> {
    private int depth;

    LettuceScriptReplyOutput() {
        super(ByteArrayCodec.INSTANCE, new ArrayList<>(4));
    }

    @Override
    public void multi(int count) {
        if (++depth > 1) {
            throw new IllegalStateException("a nested script reply; the spike reads flat lists only");
        }
    }

    @Override
    public void set(ByteBuffer bytes) {
        output.add(bytes == null ? null : StandardCharsets.UTF_8.decode(bytes).toString());
    }

    @Override
    public void set(long integer) {
        output.add(integer);
    }

    @Override
    public List<Object> get() {
        return depth == 0 && output.size() == 1 ? Collections.singletonList(output.get(0)) : output;
    }
}
