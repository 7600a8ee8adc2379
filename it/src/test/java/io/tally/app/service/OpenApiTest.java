package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /openapi.json} is served without a token and describes exactly the routes ApiServer registers,
 * and so does the endpoint table of docs/api.md.
 */
class OpenApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path API_MD = Path.of("..", "docs", "api.md");
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch", "head", "options");

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    private static JsonNode doc;

    @BeforeAll
    static void fetchTheDocument() throws Exception {
        HttpResponse<String> r = api.send(HttpRequest.newBuilder(api.uri("/openapi.json")).GET());
        assertThat(r.statusCode()).as("no token needed").isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        doc = JSON.readTree(r.body());
    }

    @Test
    void everyRegisteredRouteIsDocumented_andEveryDocumentedRouteIsRegistered() {
        List<String> documented = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
            for (String method : METHODS) {
                if (path.getValue().has(method)) {
                    documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
                }
            }
        }
        assertThat(api.server().endpoints()).isNotEmpty().doesNotHaveDuplicates();
        assertThat(documented).containsExactlyInAnyOrderElementsOf(api.server().endpoints());
    }

    @Test
    void document_isOpenApi3_withBearerAuthAndProblemJson() {
        assertThat(doc.get("openapi").asText()).startsWith("3.");
        assertThat(doc.at("/components/securitySchemes/bearer/scheme").asText()).isEqualTo("bearer");
        assertThat(doc.at("/components/responses/BadRequest/content").has("application/problem+json")).isTrue();
        assertThat(doc.at("/components/responses/Unauthorized/headers").has("WWW-Authenticate")).isTrue();
        assertThat(doc.at("/components/responses/Unavailable/headers").has("Retry-After")).isTrue();
        assertThat(doc.at("/components/responses/TokenBusy/headers").has("Retry-After")).isTrue();
        assertThat(doc.at("/components/responses/TooManyOperations/headers").has("Retry-After")).isTrue();
        assertThat(doc.at("/components/schemas/Problem/properties").has("field")).isTrue();
        assertThat(doc.at("/servers/0/url").asText()).startsWith("http://");
        assertThat(doc.at("/info/license/name").asText()).isEqualTo("Apache-2.0");
    }

    @Test
    void everyV1Operation_needsTheToken_answers401And429_andDeclaresItsPathParameters() {
        Pattern param = Pattern.compile("\\{([^}]+)}");
        for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
            for (String method : METHODS) {
                JsonNode op = path.getValue().get(method);
                if (op == null) {
                    continue;
                }
                String where = method + " " + path.getKey();
                if (path.getKey().startsWith("/v1/")) {
                    assertThat(op.has("security") && op.get("security").isEmpty()).as(where).isFalse();
                    assertThat(op.get("responses").has("401")).as(where).isTrue();
                    assertThat(op.get("responses").has("429")).as(where + ": api-max-in-flight-per-token").isTrue();
                } else {
                    assertThat(op.get("security")).as(where + " needs no token").isEmpty();
                }
                Matcher m = param.matcher(path.getKey());
                while (m.find()) {
                    String name = m.group(1);
                    boolean declared = false;
                    for (JsonNode p : op.path("parameters")) {
                        JsonNode declaredParam = p.has("$ref") ? doc.at(p.get("$ref").asText().substring(1)) : p;
                        declared |= declaredParam.get("name").asText().equals(name)
                                && declaredParam.get("in").asText().equals("path");
                    }
                    assertThat(declared).as(where + " declares path parameter " + name).isTrue();
                }
            }
        }
    }

    @Test
    void docsApiMd_listsExactlyTheRoutesTheServiceRegisters() throws IOException {
        String text = Files.readString(API_MD);
        int start = text.indexOf("\n## Endpoints\n");
        assertThat(start).as("docs/api.md has a section '## Endpoints'").isPositive();
        int end = text.indexOf("\n## ", start + 1);
        Pattern row = Pattern.compile("^\\| `(GET|POST|PUT|DELETE|PATCH)` \\| `([^`]+)` \\|.*");
        List<String> documented = new ArrayList<>();
        for (String line : text.substring(start, end).lines().toList()) {
            Matcher m = row.matcher(line);
            if (m.matches()) {
                documented.add(m.group(1) + " " + m.group(2));
            }
        }
        assertThat(documented).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(api.server().endpoints());
    }

    @Test
    void operationsAnswerTheProblemsTheServiceGives() {
        assertThat(doc.at("/paths/~1v1~1triggers/post/responses/422/$ref").asText())
                .isEqualTo("#/components/responses/TriggerLimit");
        assertThat(doc.at("/paths/~1v1~1counters~1{name}~1unique/post/requestBody/content/application~1json/schema/required/0")
                .asText()).isEqualTo("member");
        assertThat(doc.at("/components/parameters/CounterName/description").asText())
                .contains("`%2F` or `%2f`) is refused with 400").contains("`{`, `}`");
    }

    @Test
    void everySchemaReference_resolves() {
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
        }
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if (e.getKey().equals("$ref")) {
                    refs.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), refs);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectRefs(n, refs));
        }
    }
}
