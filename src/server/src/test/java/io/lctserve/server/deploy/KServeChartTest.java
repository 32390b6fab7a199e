package io.lctserve.server.deploy;

import static io.lctserve.server.deploy.Chart.path;
import static io.lctserve.server.deploy.Chart.render;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The chart's KServe objects (ClusterServingRuntime or ServingRuntime, an example InferenceService)
 * and KEDA's ScaledObject, rendered for every combination of their values and validated against
 * those projects' own CRD schemas (test resources crds/, pinned with their commits): strictly, a
 * field the schema does not name is an error, as {@code kubectl apply --validate=strict} makes it.
 */
class KServeChartTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Map<String, Schema> SCHEMAS = new HashMap<>();

    /** The CRD's schema for {@code kind} at {@code apiVersion}'s version, closed to unnamed fields. */
    private static synchronized Schema schema(String kind, String apiVersion) {
        return SCHEMAS.computeIfAbsent(kind + " " + apiVersion, k -> {
            String file =
                    switch (kind) {
                        case "ServingRuntime" -> "serving.kserve.io_servingruntimes.yaml";
                        case "ClusterServingRuntime" -> "serving.kserve.io_clusterservingruntimes.yaml";
                        case "InferenceService" -> "serving.kserve.io_inferenceservices.yaml";
                        case "ScaledObject" -> "keda.sh_scaledobjects.yaml";
                        default -> throw new IllegalArgumentException("no CRD for " + kind);
                    };
            JsonNode crd = JSON.valueToTree(readYaml("/crds/" + file));
            assertThat(crd.get("spec").get("names").get("kind").asString()).isEqualTo(kind);
            String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
            for (JsonNode v : crd.get("spec").get("versions")) {
                if (v.get("name").asString().equals(version)) {
                    JsonNode openApi = v.get("schema").get("openAPIV3Schema").deepCopy();
                    close(openApi);
                    return SchemaRegistry.withDefaultDialect(Dialects.getOpenApi30())
                            .getSchema(openApi);
                }
            }
            throw new AssertionError(kind + " has no version " + version + " in " + file);
        });
    }

    /** Objects with named properties take no others, unless the schema keeps unknown fields. */
    private static void close(JsonNode schema) {
        if (schema instanceof ObjectNode node) {
            if (node.has("properties")
                    && !node.has("additionalProperties")
                    && !node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
                node.put("additionalProperties", false);
            }
            node.forEach(KServeChartTest::close);
        } else if (schema != null && schema.isArray()) {
            schema.forEach(KServeChartTest::close);
        }
    }

    private static Object readYaml(String resource) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(16 << 20); // the InferenceService CRD is 1.9 MB
        try (InputStream in = KServeChartTest.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return new Yaml(options).load(in);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> violations(Map<String, Object> object) {
        JsonNode node = JSON.valueToTree(object);
        List<String> out = new ArrayList<>();
        for (Error e : schema(
                        node.get("kind").asString(), node.get("apiVersion").asString())
                .validate(node)) {
            out.add(e.getInstanceLocation() + ": " + e.getMessage());
        }
        return out;
    }

    static Stream<Arguments> combinations() {
        List<Arguments> all = new ArrayList<>();
        for (boolean runtime : new boolean[] {false, true}) {
            for (String kind : new String[] {"ClusterServingRuntime", "ServingRuntime"}) {
                for (boolean isvc : new boolean[] {false, true}) {
                    for (boolean keda : new boolean[] {false, true}) {
                        if (!runtime && kind.equals("ServingRuntime")) {
                            continue; // the kind matters only with the runtime on
                        }
                        all.add(Arguments.of(runtime, kind, isvc, keda));
                    }
                }
            }
        }
        return all.stream();
    }

    private static Map<String, Object> values(boolean runtime, String kind, boolean isvc, boolean keda) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("kserve.runtime.enabled", runtime);
        values.put("kserve.runtime.kind", kind);
        values.put("kserve.inferenceService.enabled", isvc);
        values.put("keda.enabled", keda);
        return values;
    }

    @ParameterizedTest(name = "runtime {0} ({1}), InferenceService {2}, KEDA {3}")
    @MethodSource("combinations")
    void everyRenderedObjectValidatesAgainstItsCrd(boolean runtime, String kind, boolean isvc, boolean keda) {
        Map<String, Map<String, Object>> m = render(values(runtime, kind, isvc, keda));

        List<String> kinds = new ArrayList<>();
        for (Map<String, Object> object : m.values()) {
            String k = (String) object.get("kind");
            if (List.of("ServingRuntime", "ClusterServingRuntime", "InferenceService", "ScaledObject")
                    .contains(k)) {
                kinds.add(k);
                assertThat(violations(object)).as(k + " " + object).isEmpty();
            }
        }
        List<String> expected = new ArrayList<>();
        if (runtime) {
            expected.add(kind);
        }
        if (isvc) {
            expected.add("InferenceService");
        }
        if (keda) {
            expected.add("ScaledObject");
        }
        assertThat(kinds).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void theValidationCatchesWhatTheCrdRefuses() {
        Map<String, Object> runtime =
                render(values(true, "ClusterServingRuntime", false, false)).get("ClusterServingRuntime/lctserve");
        assertThat(violations(runtime)).isEmpty();
        Map<String, Object> spec = path(runtime, "spec");
        spec.put("protocolVersion", List.of("v2")); // a misspelt field
        assertThat(violations(runtime)).anyMatch(v -> v.contains("protocolVersion"));
        spec.remove("protocolVersion");
        spec.put("multiModel", "no"); // a string where a boolean goes
        assertThat(violations(runtime)).anyMatch(v -> v.contains("multiModel"));
    }

    @Test
    void theRuntimeServesKServesFolderUnderTheInferenceServicesName() {
        Map<String, Map<String, Object>> m = render(values(true, "ClusterServingRuntime", true, false));
        Map<String, Object> runtime = m.get("ClusterServingRuntime/lctserve");
        assertThat(path(runtime, "spec", "protocolVersions", 0).toString()).isEqualTo("v2");
        assertThat(path(runtime, "spec", "protocolVersions", 1).toString()).isEqualTo("grpc-v2");
        assertThat(path(runtime, "spec", "supportedModelFormats", 0, "name").toString())
                .isEqualTo("lctserve-staged");
        List<String> args = path(runtime, "spec", "containers", 0, "args");
        assertThat(args)
                .contains("--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080", "--grpc_port=9000");
        assertThat(path(runtime, "spec", "annotations").toString())
                .contains("prometheus.kserve.io/path=/actuator/prometheus");

        Map<String, Object> isvc = m.get("InferenceService/fashion-mnist");
        assertThat(path(isvc, "spec", "predictor", "model", "runtime").toString())
                .isEqualTo("lctserve");
        assertThat(path(isvc, "spec", "predictor", "model", "modelFormat", "name")
                        .toString())
                .isEqualTo("lctserve-staged");
        assertThat((Object) path(isvc, "spec", "predictor", "autoScaling")).isNull();
    }

    @Test
    void kedaScalesOnInFlightRequestsAndQueueWait() {
        Map<String, Map<String, Object>> m = render(values(true, "ClusterServingRuntime", true, true));
        Map<String, Object> scaled = m.get("ScaledObject/demo-lctserve");
        assertThat(path(scaled, "spec", "scaleTargetRef", "name").toString()).isEqualTo("demo-lctserve");
        assertThat(path(scaled, "spec", "triggers", 0, "metadata", "query").toString())
                .isEqualTo("sum(lctserve_inflight{namespace=\"serving\",service=\"demo-lctserve\"})");
        assertThat(path(scaled, "spec", "triggers", 1, "metadata", "query").toString())
                .contains("lctserve_queue_seconds_sum");
        assertThat(m).doesNotContainKey("HorizontalPodAutoscaler/demo-lctserve");

        Map<String, Object> isvc = m.get("InferenceService/fashion-mnist");
        assertThat(path(isvc, "metadata", "annotations").toString()).contains("serving.kserve.io/autoscalerClass=keda");
        assertThat(path(isvc, "spec", "predictor", "autoScaling", "metrics", 0, "external", "metric", "query")
                        .toString())
                .isEqualTo("sum(lctserve_inflight{namespace=\"serving\",pod=~\"fashion-mnist-predictor-.*\"})");
    }

    @Test
    void contradictoryValuesAreRefused() {
        assertThatThrownBy(() -> render(Map.of("keda.enabled", true, "autoscaling.enabled", true)))
                .hasMessageContaining("choose one");
        assertThatThrownBy(() -> render(Map.of("kserve.runtime.enabled", true, "kserve.runtime.kind", "Runtime")))
                .hasMessageContaining("kind");
        assertThatThrownBy(() -> render(
                        Map.of("keda.enabled", true, "keda.inFlight.enabled", false, "keda.queueWait.enabled", false)))
                .hasMessageContaining("keda.inFlight.enabled or keda.queueWait.enabled");
    }
}
