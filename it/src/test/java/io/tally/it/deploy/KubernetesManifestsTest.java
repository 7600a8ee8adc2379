package io.tally.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Kubernetes manifests parse and carry probes, limits, graceful termination, the PDB and the HPA. */
class KubernetesManifestsTest {
    private static final List<JsonNode> docs = new ArrayList<>();

    @BeforeAll
    static void parse() {
        docs.addAll(DeployFiles.k8sObjects());
    }

    @Test
    void everyObject_hasKindNameAndTheTallyNamespace() {
        assertThat(docs).isNotEmpty();
        for (JsonNode d : docs) {
            assertThat(d.path("apiVersion").asText()).as("apiVersion of %s", d).isNotEmpty();
            assertThat(d.path("metadata").path("name").asText()).isNotEmpty();
            if (!d.path("kind").asText().equals("Namespace")) {
                assertThat(d.path("metadata").path("namespace").asText()).as(d.path("metadata").path("name").asText())
                        .isEqualTo("tally");
            }
        }
        assertThat(kinds()).contains("Namespace", "Secret", "ConfigMap", "Deployment", "Service",
                "PodDisruptionBudget", "HorizontalPodAutoscaler");
    }

    @Test
    void deployments_haveProbesLimitsGracefulTerminationAndScrapeAnnotations() {
        for (String name : List.of("tally-processor", "tally-service")) {
            JsonNode pod = object("Deployment", name).path("spec").path("template");
            assertThat(pod.path("metadata").path("annotations").path("prometheus.io/scrape").asText()).isEqualTo("true");
            assertThat(pod.path("spec").path("terminationGracePeriodSeconds").asInt()).isGreaterThanOrEqualTo(20);
            JsonNode container = pod.path("spec").path("containers").get(0);
            assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/ready");
            assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/live");
            assertThat(container.path("resources").path("requests").path("cpu").asText()).isNotEmpty();
            assertThat(container.path("resources").path("limits").path("memory").asText()).isNotEmpty();
        }
        JsonNode processor = object("Deployment", "tally-processor");
        assertThat(processor.path("spec").path("replicas").asInt()).isEqualTo(3);
        assertThat(processor.path("spec").path("template").path("metadata").path("annotations")
                .path("prometheus.io/port").asText()).isEqualTo("9400");
    }

    @Test
    void processorsHaveAPodDisruptionBudget_andTheServiceAnAutoscaler() {
        JsonNode pdb = object("PodDisruptionBudget", "tally-processor");
        assertThat(pdb.path("spec").path("selector").path("matchLabels").path("app").asText()).isEqualTo("tally-processor");
        assertThat(pdb.path("spec").has("maxUnavailable") || pdb.path("spec").has("minAvailable")).isTrue();
        JsonNode hpa = object("HorizontalPodAutoscaler", "tally-service");
        assertThat(hpa.path("spec").path("scaleTargetRef").path("name").asText()).isEqualTo("tally-service");
        assertThat(hpa.path("spec").path("minReplicas").asInt()).isEqualTo(2);
    }

    @Test
    void secretsComeFromTheSecret_notTheConfigMap() {
        JsonNode config = object("ConfigMap", "tally-config").path("data");
        config.fieldNames().forEachRemaining(k -> assertThat(k).doesNotContain("PASSWORD").doesNotContain("TOKEN"));
        assertThat(object("Secret", "tally-secrets").path("stringData").has("redis-password")).isTrue();
    }

    private static List<String> kinds() {
        return docs.stream().map(d -> d.path("kind").asText()).toList();
    }

    private static JsonNode object(String kind, String name) {
        return DeployFiles.k8sObject(docs, kind, name);
    }
}
