package io.tally.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deploy artifacts run their processes with least privilege and keep secrets out of arguments:
 * each Kubernetes container non-root, without privilege escalation or capabilities, under the runtime's
 * seccomp profile; secrets from the Secret, never a value in a manifest nor an argument (visible in
 * {@code ps}); the compose trial stack, whose secrets have well-known defaults, reachable only from its host.
 */
class DeployHardeningTest {
    private static final List<JsonNode> docs = DeployFiles.k8sObjects();
    private static final Pattern SECRET_NAME = Pattern.compile("PASSWORD|TOKEN|SECRET");
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    @Test
    void everyKubernetesContainer_runsNonRootWithoutEscalationCapabilitiesOrAnUnconfinedSeccomp() {
        List<JsonNode> pods = podSpecs();
        assertThat(pods).hasSizeGreaterThanOrEqualTo(3);
        for (JsonNode pod : pods) {
            JsonNode podSecurity = pod.path("securityContext");
            assertThat(podSecurity.path("runAsNonRoot").asBoolean()).as("runAsNonRoot of %s", names(pod)).isTrue();
            assertThat(podSecurity.path("runAsUser").asInt()).as("runAsUser of %s", names(pod)).isPositive();
            assertThat(podSecurity.path("seccompProfile").path("type").asText()).as("seccomp of %s", names(pod))
                    .isEqualTo("RuntimeDefault");
            for (JsonNode c : pod.path("containers")) {
                JsonNode security = c.path("securityContext");
                assertThat(security.path("allowPrivilegeEscalation").isBoolean()
                        && !security.path("allowPrivilegeEscalation").asBoolean()).as("allowPrivilegeEscalation false in %s", c.path("name")).isTrue();
                assertThat(security.path("capabilities").path("drop").toString()).as("capabilities of %s", c.path("name"))
                        .contains("\"ALL\"");
            }
        }
    }

    @Test
    void tallyContainers_haveAReadOnlyRootWithAWritableTmp_andMemoryRequestEqualToTheLimit() {
        for (String name : List.of("tally-processor", "tally-service")) {
            JsonNode pod = DeployFiles.k8sObject(docs, "Deployment", name).path("spec").path("template").path("spec");
            JsonNode c = pod.path("containers").get(0);
            assertThat(c.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).as(name).isTrue();
            String tmpVolume = null;
            for (JsonNode m : c.path("volumeMounts")) {
                if (m.path("mountPath").asText().equals("/tmp")) {
                    tmpVolume = m.path("name").asText();
                }
            }
            assertThat(tmpVolume).as("%s mounts a volume at /tmp", name).isNotNull();
            String tmp = tmpVolume;
            assertThat(pod.path("volumes").findValues("name").stream().map(JsonNode::asText)).as(name).contains(tmp);
            // the heap is a share of the limit (MaxRAMPercentage); a request below it invites OOM kills on a full node
            assertThat(c.path("resources").path("requests").path("memory").asText()).as(name)
                    .isEqualTo(c.path("resources").path("limits").path("memory").asText());
        }
    }

    @Test
    void kubernetesSecrets_comeFromTheSecret_andNeverAppearInArguments() {
        for (JsonNode pod : podSpecs()) {
            for (JsonNode c : pod.path("containers")) {
                Set<String> fromSecrets = new HashSet<>();
                for (JsonNode e : c.path("env")) {
                    String name = e.path("name").asText();
                    boolean fromSecret = e.path("valueFrom").has("secretKeyRef");
                    if (fromSecret) {
                        fromSecrets.add(name);
                    }
                    if (SECRET_NAME.matcher(name).find()) {
                        assertThat(fromSecret).as("%s of %s comes from a secretKeyRef, not a value", name, c.path("name"))
                                .isTrue();
                    }
                }
                List<String> argv = new ArrayList<>();
                c.path("command").forEach(a -> argv.add(a.asText()));
                c.path("args").forEach(a -> argv.add(a.asText()));
                for (String arg : argv) {
                    Matcher m = ENV_REFERENCE.matcher(arg);
                    while (m.find()) {
                        // Kubernetes substitutes $(VAR) into the argument itself, which ps then shows
                        assertThat(fromSecrets).as("argument of %s expands a secret: %s", c.path("name"), arg)
                                .doesNotContain(m.group(1));
                    }
                    assertThat(arg).as("argument of %s", c.path("name")).doesNotContain("--requirepass", "--pass ");
                }
            }
        }
        JsonNode secret = DeployFiles.k8sObject(docs, "Secret", "tally-secrets").path("stringData");
        for (JsonNode ref : docs.stream().map(d -> d.findValues("secretKeyRef")).flatMap(List::stream).toList()) {
            assertThat(secret.has(ref.path("key").asText())).as("the Secret has the key %s", ref.path("key").asText())
                    .isTrue();
        }
    }

    @Test
    void composePorts_listenOnTheLoopbackOnly() {
        JsonNode services = DeployFiles.compose().path("services");
        List<String> published = new ArrayList<>();
        services.fields().forEachRemaining(s -> s.getValue().path("ports").forEach(p -> published.add(p.asText())));
        assertThat(published).isNotEmpty().allSatisfy(p -> assertThat(p).startsWith("127.0.0.1:"));
        assertThat(services.path("redis").has("ports")).as("Redis, without a password, is not published").isFalse();
    }

    @Test
    void composeTallyContainers_haveAReadOnlyRootNoCapabilitiesAndNoNewPrivileges() {
        JsonNode services = DeployFiles.compose().path("services");
        for (String name : List.of("service", "processor")) {
            JsonNode s = services.path(name);
            assertThat(s.path("read_only").asBoolean()).as(name).isTrue();
            assertThat(s.path("tmpfs").toString()).as(name).contains("/tmp");
            assertThat(s.path("cap_drop").toString()).as(name).contains("ALL");
            assertThat(s.path("security_opt").toString()).as(name).contains("no-new-privileges:true");
        }
    }

    private static List<JsonNode> podSpecs() {
        return docs.stream().filter(d -> Set.of("Deployment", "StatefulSet").contains(d.path("kind").asText()))
                .map(d -> d.path("spec").path("template").path("spec")).toList();
    }

    private static String names(JsonNode pod) {
        List<String> names = new ArrayList<>();
        pod.path("containers").forEach(c -> names.add(c.path("name").asText()));
        return names.toString();
    }
}
