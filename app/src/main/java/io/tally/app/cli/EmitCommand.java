package io.tally.app.cli;

import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.config.ConfigException;
import io.tally.common.model.Event;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tally emit TYPE k=v...}: appends one event. */
@Command(name = "emit", description = "Appends an event with parameters k=v.")
@ReadsConfig(ConfigScope.PRODUCER)
public final class EmitCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;
    @Spec
    CommandSpec spec;
    @Parameters(index = "0", paramLabel = "TYPE", description = "Event type.")
    String type;
    @Parameters(index = "1..*", paramLabel = "k=v", description = "Event parameters.")
    List<String> params = List.of();
    @Option(names = "--id", paramLabel = "ID", description = "Event id (idempotency key, scoped to the event type); reused with other parameters: a conflict (exit 1).")
    String id;

    @Override
    public Integer call() {
        Map<String, String> map = new LinkedHashMap<>();
        for (String p : params) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("parameter '" + p + "' is not of the form name=value");
            }
            map.put(p.substring(0, eq), p.substring(eq + 1));
        }
        Event event = new Event(type, map, id, null);
        try (Session s = Session.awaiting(options.config(), Access.WRITE, spec); TallyProducer producer = s.producer()) {
            SendResult r = producer.emit(event).join();
            spec.commandLine().getOut().printf("emit %s: partition %d, entry %s%s%n", type, r.partition(), r.entryId(),
                    r.duplicate() ? " (duplicate: already sent with this id)" : "");
            return 0;
        }
    }
}
