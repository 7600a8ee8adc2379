package io.tally.app.demo;

import io.tally.producer.TallyProducer;
import io.tally.producer.read.TallyReader;
import io.tally.producer.triggers.TriggerClient;

import java.io.PrintWriter;

/**
 * What a demo scenario may use: the producer and reader on the demo's namespace, the output, and
 * the running API (for scenarios that show curl lines or call it).
 *
 * @param producer sends operations and events
 * @param triggers creates and reads triggers
 * @param reader   reads applied values and firings
 * @param out      the demo's output
 * @param apiBase  e.g. {@code http://127.0.0.1:8080}
 * @param token    a bearer token the API accepts
 */
public record DemoContext(TallyProducer producer, TriggerClient triggers, TallyReader reader, PrintWriter out, String apiBase, String token) {
}
