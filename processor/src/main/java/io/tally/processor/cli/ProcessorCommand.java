package io.tally.processor.cli;

import io.tally.processor.app.ProcessorMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tally processor [options]}: runs a processor; the options are those of {@link ProcessorMain}. */
@Command(name = "processor", description = "Runs a processor until SIGTERM/SIGINT (see tally processor --help).")
public final class ProcessorCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return ProcessorMain.run(args.toArray(String[]::new));
    }
}
