package io.tally.common.internal.redis;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import org.redisson.client.NettyHook;

/**
 * Lets a connection read up to 1 MiB per socket read instead of netty's 64 KiB. Redisson decodes a reply
 * only once all of it has arrived and scans it from its start on every read until then, so a stream
 * batch (tens to hundreds of KiB) that arrives in many small reads is scanned many times over.
 */
final class LargeReadsNettyHook implements NettyHook {
    private static final int MIN = 64;
    private static final int INITIAL = 16 * 1024;
    private static final int MAX = 1 << 20;

    @Override
    @SuppressWarnings("deprecation") // ChannelOption.RCVBUF_ALLOCATOR is deprecated since Netty 4.2; set as before
    public void afterBoostrapInitialization(Bootstrap bootstrap) {
        bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(MIN, INITIAL, MAX));
    }

    @Override
    public void afterChannelInitialization(Channel channel) {
    }
}
