package io.tally.producer.http;

import io.tally.producer.cli.Cli;
import io.tally.producer.cli.ServeCommand;

/**
 * Main class of {@code tally-producer.jar}: {@code java -jar tally-producer.jar [serve options]} runs
 * the HTTP service. Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
 */
public final class ServeMain {
    private ServeMain() {
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new ServeCommand(), args));
    }
}
