package io.tally.app.cli;

import java.util.List;

/** The subcommands the producer module provides, for the {@code tally} entry point to register. */
public final class ProducerCommands {
    private ProducerCommands() {
    }

    public static List<Class<?>> all() {
        return List.of(CounterOpCommand.Incr.class, CounterOpCommand.Decr.class, CounterOpCommand.Set.class,
                CounterOpCommand.Reset.class, CounterOpCommand.UniqueAdd.class, ReadCommands.Get.class,
                CountersCommand.class, ReadCommands.Delete.class, SeriesCommands.Series.class,
                SeriesCommands.Unique.class, EmitCommand.class, ReadCommands.Firings.class, StatusCommand.class,
                DlqCommand.class, TriggerCommand.class, LoadgenCommand.class, VerifyCommand.class, ServeCommand.class,
                InitCommand.class, RepairCommand.class);
    }
}
