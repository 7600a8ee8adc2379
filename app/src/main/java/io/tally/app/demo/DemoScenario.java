package io.tally.app.demo;

/**
 * One scenario the demo plays after the pipeline is up. Add one by listing it in {@link Demo#SCENARIOS}.
 */
public interface DemoScenario {
    /** Short title printed before the scenario runs. */
    String title();

    /**
     * Plays the scenario and prints its results.
     *
     * @return true when the results are as expected
     */
    boolean play(DemoContext ctx) throws Exception;
}
