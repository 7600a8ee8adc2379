package io.tally.app.cli;

import io.tally.app.runtime.ProcessorMain;
import io.tally.app.cli.EnvAware;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tally processor [options]}: runs a processor; the options are those of {@link ProcessorMain}. */
@Command(name = "processor", description = "Runs a processor until SIGTERM/SIGINT (see tally processor --help).")
public final class ProcessorCommand implements Callable<Integer>, EnvAware {
    @Unmatched
    List<String> args = new ArrayList<>();
    @Spec
    CommandSpec spec;
    private Map<String, String> env = System.getenv();

    @Override
    public void env(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() {
        return ProcessorMain.run(args.toArray(String[]::new), env, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
}
