package io.tally.app.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.RMap;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any program may write a partition's triggers hash. {@code GET /v1/triggers/{id}} of a trigger stored there in a
 * form Tally cannot read (a definition that is not JSON, a fire time that is not a number) is a 502 problem that
 * names the trigger and the field at fault, with one WARN line; {@code DELETE} still cancels it (the cancel reads
 * only the status) and says so in the same problem.
 */
class TriggerReadForeignStateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(2);

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        root().addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        root().detachAppender(logs);
    }

    @Test
    void aTriggerWhoseDefinitionIsNotJson_is502NamingItAndTheField_withOneWarnLine() throws Exception {
        String id = create("broken-definition");
        hash(id).put(id, "{broken");

        HttpResponse<String> r = api.send(api.request("/v1/triggers/" + id).header("X-Request-Id", "broken-def-1").GET());

        JsonNode problem = assertUnreadable(r, id);
        assertThat(problem.get("detail").asText()).contains("its stored definition '{broken' is not valid JSON");
        assertThat(problem.has("canceled")).as("a read cancels nothing").isFalse();
        List<ILoggingEvent> lines = events("broken-def-1");
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).getLevel()).isEqualTo(Level.WARN);
        assertThat(lines.get(0).getThrowableProxy()).as("no stack trace").isNull();
        assertThat(lines.get(0).getFormattedMessage()).as("one line").contains(id).doesNotContain("\n");
    }

    @Test
    void aTriggerWhoseLastFiredAtIsNotANumber_is502NamingTheValue() throws Exception {
        String id = create("garbled-count");
        hash(id).put(id + ":lastFiredAt", "not a number");

        JsonNode problem = assertUnreadable(api.get("/v1/triggers/" + id), id);

        assertThat(problem.get("detail").asText()).contains("its lastFiredAt 'not a number' is not a number");
    }

    @Test
    void aForeignFireCount_readsAsTheScriptsCountIt() throws Exception {
        String id = create("foreign-count");
        for (String[] stored : new String[][]{{"7", "7"}, {"007", "0"}, {"-1", "0"}, {"1e3", "0"}, {" 7", "0"},
                {"not a number", "0"}, {"9007199254740991", "9007199254740991"}, {"9007199254740992", "0"}}) {
            hash(id).put(id + ":fireCount", stored[0]);

            HttpResponse<String> r = api.get("/v1/triggers/" + id);

            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).get("fireCount").asText()).as(stored[0]).isEqualTo(stored[1]);
        }
    }

    @Test
    void cancelingATriggerTallyCannotRead_cancelsIt_andSaysSo() throws Exception {
        String id = create("cancel-garbled");
        hash(id).put(id + ":lastFiredAt", "not a number");

        JsonNode first = assertUnreadable(api.send("DELETE", "/v1/triggers/" + id, null), id);

        assertThat(hash(id).get(id + ":status")).as("stored status").isEqualTo("canceled");
        assertThat(hash(id).get(id + ":canceledAt")).as("stored canceledAt").matches("[0-9]+");
        assertThat(first.get("canceled").asBoolean()).isTrue();
        assertThat(first.get("detail").asText()).contains("was canceled (it no longer fires)")
                .contains("its lastFiredAt 'not a number' is not a number");

        JsonNode again = assertUnreadable(api.send("DELETE", "/v1/triggers/" + id, null), id);
        assertThat(again.get("canceled").asBoolean()).as("already canceled").isFalse();
        assertThat(again.get("detail").asText()).contains("was not canceled");
    }

    @Test
    void cancelingATriggerWhoseDefinitionIsNotJson_cancelsIt() throws Exception {
        String id = create("cancel-broken-definition");
        hash(id).put(id, "[1, 2");

        JsonNode problem = assertUnreadable(api.send("DELETE", "/v1/triggers/" + id, null), id);

        assertThat(problem.get("canceled").asBoolean()).isTrue();
        assertThat(hash(id).get(id + ":status")).isEqualTo("canceled");
    }

    @Test
    void foreignTextInAStoredDefinition_reachesTheAnswerAndTheLogCleanedAndCut() throws Exception {
        String forged = "\u001b[2J\r\n12:00:00.000 ERROR [main] forged log line\u0085";
        String huge = forged + "x".repeat(100_000);
        String[] definitions = {
                JSON.writeValueAsString(Map.of("kind", huge)),
                "{\"kind\":\"event\",\"eventType\":\"e\",\"mode\":" + JSON.writeValueAsString(huge) + "}",
                "{\"kind\":\"threshold\",\"counter\":\"c\",\"value\":1,\"op\":" + JSON.writeValueAsString(huge) + "}",
                "{\"kind\":\"time\",\"at\":" + JSON.writeValueAsString(forged) + "}"};
        SoftAssertions soft = new SoftAssertions();
        for (int i = 0; i < definitions.length; i++) {
            String id = create("foreign-text");
            hash(id).put(id, definitions[i]);
            String requestId = "foreign-text-" + i;

            HttpResponse<String> r = api.send(api.request("/v1/triggers/" + id).header("X-Request-Id", requestId).GET());

            String detail = assertUnreadable(r, id).get("detail").asText();
            String which = definitions[i].substring(0, 40);
            soft.assertThat(detail).as("answer to " + which).doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f]");
            soft.assertThat(detail.length()).as("answer to " + which).isLessThan(1000);
            List<ILoggingEvent> lines = events(requestId);
            assertThat(lines).as(which).hasSize(1);
            String line = lines.get(0).getFormattedMessage();
            soft.assertThat(line).as("log line of " + which).doesNotContainPattern("[\\x00-\\x1f\\x7f-\\x9f]");
            soft.assertThat(line.length()).as("log line of " + which).isLessThan(2000);
        }
        soft.assertAll();
    }

    /** A 502 problem+json naming the trigger, without a Java class, a stack trace or a script's text. */
    private static JsonNode assertUnreadable(HttpResponse<String> r, String id) throws Exception {
        JsonNode problem = RedisFaultsTest.assertCleanProblem(r, 502);
        assertThat(r.headers().firstValue("Retry-After")).as("a retry cannot help").isEmpty();
        assertThat(problem.get("title").asText()).isEqualTo("Stored state unreadable");
        assertThat(problem.get("reason").asText()).isEqualTo("unreadable_trigger");
        assertThat(problem.get("id").asText()).isEqualTo(id);
        assertThat(problem.get("detail").asText()).contains("trigger '" + id + "'")
                .contains("stored in a form Tally cannot read").doesNotContain("java.").doesNotContain("For input string");
        return problem;
    }

    private static String create(String eventType) throws Exception {
        HttpResponse<String> r = api.post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"" + eventType + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).get("id").asText();
    }

    /** The triggers hash of the trigger's partition, as another program may write it. */
    private static RMap<String, String> hash(String id) {
        int partition = Integer.parseInt(id.substring(1, id.indexOf('-')));
        return api.redis().getMap(api.keys().triggers(partition), StringCodec.INSTANCE);
    }

    private List<ILoggingEvent> events(String requestId) {
        synchronized (logs) {
            return logs.list.stream().filter(e -> e.getFormattedMessage().contains(requestId)).toList();
        }
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
