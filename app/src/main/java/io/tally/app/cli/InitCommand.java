package io.tally.app.cli;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import org.redisson.api.RedissonClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code tally init}: creates a namespace (P in {@code <ns>:meta}, the consumer group at id 0 on every
 * partition's streams) before any processor runs, the one way besides a processor to create one.
 * Running it again with the same P (or none) only creates missing groups; another P is refused with
 * exit 2, since changing P needs a migration.
 */
@Command(name = "init", 
        description = "Creates the namespace with --partitions P (default 16) and its consumer groups; "
                + "idempotent with the same P.")
public final class InitCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        TallyConfig config = options.config();
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            EvictionCheck.check(redis, config, EvictionCheck.Access.WRITE, spec.qualifiedName(),
                    spec.commandLine().getErr());
            boolean existed = Namespace.stored(redis, config.namespace()) != null;
            Namespace ns = Namespace.create(redis, config);
            spec.commandLine().getOut().printf("namespace '%s' %s with %d partitions at %s%n", config.namespace(),
                    existed ? "exists" : "created", ns.partitions(), config.redisUrl());
            return 0;
        } finally {
            redis.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }
}
