package io.lctserve.server.deploy;

import static io.lctserve.server.deploy.Chart.path;
import static io.lctserve.server.deploy.Chart.render;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.lctserve.server.config.LctServeProperties;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.support.SpringApplicationJsonEnvironmentPostProcessor;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** helm lint and helm template of helm/lctserve, with the rendered manifests read back and checked. */
class HelmChartTest {

    private static final Path CHART = Chart.PATH;

    private static Map<String, Object> container(Map<String, Map<String, Object>> manifests) {
        return path(manifests.get("Deployment/demo-lctserve"), "spec", "template", "spec", "containers", 0);
    }

    @Test
    void lintPasses() {
        LintResult lint = new Helm(CHART).lint().strict().call();

        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @Test
    void defaultsRenderASecureProbedDeploymentWithServiceConfigAndBudget() {
        Map<String, Map<String, Object>> m = render(Map.of());

        assertThat(m.keySet())
                .containsExactlyInAnyOrder(
                        "Deployment/demo-lctserve",
                        "Service/demo-lctserve",
                        "ConfigMap/demo-lctserve",
                        "ServiceAccount/demo-lctserve",
                        "PodDisruptionBudget/demo-lctserve");
        Map<String, Object> c = container(m);
        assertThat((String) path(c, "image")).isEqualTo("lctserve:0.1.0");
        assertThat((Integer) path(c, "ports", 0, "containerPort")).isEqualTo(8080);
        assertThat((String) path(c, "startupProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        assertThat((String) path(c, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat((String) path(c, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        assertThat((String) path(c, "readinessProbe", "httpGet", "port")).isEqualTo("http");
        assertThat((Boolean) path(c, "securityContext", "readOnlyRootFilesystem"))
                .isTrue();
        assertThat((Boolean) path(c, "securityContext", "runAsNonRoot")).isTrue();
        assertThat((Boolean) path(c, "securityContext", "allowPrivilegeEscalation"))
                .isFalse();
        assertThat((List<String>) path(c, "securityContext", "capabilities", "drop"))
                .containsExactly("ALL");
        assertThat((String) path(c, "volumeMounts", 0, "mountPath")).isEqualTo("/tmp");
        assertThat((Integer) path(c, "lifecycle", "preStop", "sleep", "seconds"))
                .isEqualTo(5);

        Map<String, Object> pod = path(m.get("Deployment/demo-lctserve"), "spec", "template", "spec");
        assertThat((Integer) path(pod, "terminationGracePeriodSeconds")).isEqualTo(5 + 5 + 30 + 10);
        assertThat((Boolean) path(pod, "securityContext", "runAsNonRoot")).isTrue();
        assertThat((Map<String, Object>) path(pod, "volumes", 0, "emptyDir")).containsKey("sizeLimit");
        assertThat((Integer) path(m.get("Deployment/demo-lctserve"), "spec", "replicas"))
                .isEqualTo(2);

        assertThat((Integer) path(m.get("Service/demo-lctserve"), "spec", "ports", 0, "port"))
                .isEqualTo(8080);
        assertThat((String) path(m.get("Service/demo-lctserve"), "spec", "ports", 0, "targetPort"))
                .isEqualTo("http");
        assertThat((Integer) path(m.get("Service/demo-lctserve"), "spec", "ports", 1, "port"))
                .isEqualTo(8081);
        assertThat((String) path(m.get("Service/demo-lctserve"), "spec", "ports", 1, "targetPort"))
                .isEqualTo("grpc");
        assertThat((String) path(m.get("Service/demo-lctserve"), "spec", "ports", 1, "appProtocol"))
                .isEqualTo("grpc");
        assertThat((Integer) path(c, "ports", 1, "containerPort")).isEqualTo(8081);
        assertThat((Integer) path(m.get("PodDisruptionBudget/demo-lctserve"), "spec", "minAvailable"))
                .isEqualTo(1);
    }

    @Test
    void theConfigMapBindsToTheServersProperties() {
        Map<String, Object> data = path(
                render(Map.of("server.defaultPreset", "fast", "server.maxBatch", 64))
                        .get("ConfigMap/demo-lctserve"),
                "data");
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new SystemEnvironmentPropertySource("configmap", data));
        ConfigurationPropertySources.attach(env);

        LctServeProperties p = Binder.get(env).bindOrCreate("lctserve", LctServeProperties.class);

        assertThat(p.defaultPreset()).isEqualTo("fast");
        assertThat(p.maxBatch()).isEqualTo(64);
        assertThat(p.modelRepository()).isEqualTo(Path.of("/opt/lctserve/models"));
        assertThat(p.drain()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.maxConcurrentInferences()).isZero();
        assertThat(p.computeSlots()).isEqualTo(2 * Runtime.getRuntime().availableProcessors());
        assertThat(data).containsEntry("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE", "30s");
        assertThat(data).containsEntry("SPRINGDOC_API_DOCS_ENABLED", "true");
        assertThat(p.maxImagePixels()).isEqualTo(16_777_216);
        assertThat(p.repository().pollInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.repository().control()).isFalse();
        assertThat(p.bodyReadTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(p.grpc().port()).isEqualTo(8081);
    }

    @Test
    void probesCanUseGrpcHealth() {
        Map<String, Map<String, Object>> m =
                render(Map.of("probes.grpc", true, "server.grpcPort", 9001, "service.grpcPort", 9002));
        Map<String, Object> c = container(m);
        assertThat((Integer) path(c, "readinessProbe", "grpc", "port")).isEqualTo(9001);
        assertThat((String) path(c, "readinessProbe", "grpc", "service")).isEmpty();
        assertThat((Integer) path(c, "startupProbe", "grpc", "port")).isEqualTo(9001);
        assertThat((String) path(c, "livenessProbe", "grpc", "service")).isEqualTo("liveness");
        assertThat((Map<String, Object>) c.get("readinessProbe")).doesNotContainKey("httpGet");
        assertThat((Integer) path(m.get("Service/demo-lctserve"), "spec", "ports", 1, "port"))
                .isEqualTo(9002);
        assertThat(path(m.get("ConfigMap/demo-lctserve"), "data", "LCTSERVE_GRPC_PORT")
                        .toString())
                .isEqualTo("9001");
    }

    @Test
    void theApiDescriptionCanBeSwitchedOffForProduction() {
        Map<String, Object> data = path(render(Map.of("server.apiDocs", false)).get("ConfigMap/demo-lctserve"), "data");

        assertThat(data)
                .containsEntry("SPRINGDOC_API_DOCS_ENABLED", "false")
                .containsEntry("SPRINGDOC_SWAGGER_UI_ENABLED", "false");
    }

    @Test
    void batchingSettingsAndPerModelOverridesBindToTheServersProperties() {
        Map<String, Object> data = path(
                render(Map.of(
                                "server.batching.maxBatchSize",
                                64,
                                "server.batching.preferredBatchSizes[0]",
                                8,
                                "server.batching.preferredBatchSizes[1]",
                                16,
                                "server.batching.models.fashion-mnist.maxBatchSize",
                                8,
                                "server.batching.models.fashion-mnist.enabled",
                                false))
                        .get("ConfigMap/demo-lctserve"),
                "data");
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new SystemEnvironmentPropertySource("configmap", data));
        new SpringApplicationJsonEnvironmentPostProcessor().postProcessEnvironment(env, new SpringApplication());
        ConfigurationPropertySources.attach(env);

        LctServeProperties.Batching b = Binder.get(env)
                .bindOrCreate("lctserve", LctServeProperties.class)
                .batching();

        assertThat(b.enabled()).isTrue();
        assertThat(b.maxBatchSize()).isEqualTo(64);
        assertThat(b.preferredBatchSizes()).containsExactly(8, 16);
        assertThat(b.maxQueueDelay()).isZero();
        assertThat(b.inlineWhenIdle()).isTrue();
        assertThat(b.forModel("fashion-mnist").maxBatchSize()).isEqualTo(8);
        assertThat(b.forModel("fashion-mnist").enabled()).isFalse();
        assertThat(b.forModel("fashion-mnist").preferredBatchSizes()).containsExactly(8, 16);
        assertThat(b.forModel("another").maxBatchSize()).isEqualTo(64);
    }

    @Test
    void theDefaultBatchingSettingsBindWithoutPerModelOverrides() {
        Map<String, Object> data = path(render(Map.of()).get("ConfigMap/demo-lctserve"), "data");
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new SystemEnvironmentPropertySource("configmap", data));
        ConfigurationPropertySources.attach(env);

        LctServeProperties.Batching b = Binder.get(env)
                .bindOrCreate("lctserve", LctServeProperties.class)
                .batching();

        assertThat(data).doesNotContainKey("SPRING_APPLICATION_JSON");
        assertThat(b.maxBatchSize()).isEqualTo(32);
        assertThat(b.preferredBatchSizes()).isEmpty();
        assertThat(b.models()).isEmpty();
        assertThat(b.workerCount()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void modelsFromAVolumeClaimAreMountedReadOnly() {
        Map<String, Map<String, Object>> m =
                render(Map.of("models.source", "pvc", "models.pvc.existingClaim", "fm-models"));

        Map<String, Object> pod = path(m.get("Deployment/demo-lctserve"), "spec", "template", "spec");
        assertThat((String) path(pod, "volumes", 1, "persistentVolumeClaim", "claimName"))
                .isEqualTo("fm-models");
        Map<String, Object> mount = path(container(m), "volumeMounts", 1);
        assertThat(mount).containsEntry("mountPath", "/opt/lctserve/models").containsEntry("readOnly", true);
    }

    @Test
    void modelsFromAnInitContainerShareAnEmptyDir() {
        Map<String, Map<String, Object>> m = render(Map.of(
                "models.source",
                "initContainer",
                "models.initContainer.command[0]",
                "sh",
                "models.initContainer.command[1]",
                "-c",
                "models.initContainer.command[2]",
                "cp -r /bundle/. /models/"));

        Map<String, Object> pod = path(m.get("Deployment/demo-lctserve"), "spec", "template", "spec");
        assertThat((String) path(pod, "initContainers", 0, "volumeMounts", 0, "mountPath"))
                .isEqualTo("/models");
        assertThat((List<String>) path(pod, "initContainers", 0, "command"))
                .containsExactly("sh", "-c", "cp -r /bundle/. /models/");
        assertThat((Map<String, Object>) path(pod, "volumes", 1, "emptyDir")).isNotNull();
    }

    @Test
    void autoscalerScalesOnCpuAndOptionallyOnQueueTime() {
        Map<String, Map<String, Object>> m =
                render(Map.of("autoscaling.enabled", true, "autoscaling.queueMetric.enabled", true));

        Map<String, Object> hpa = m.get("HorizontalPodAutoscaler/demo-lctserve");
        assertThat((String) path(hpa, "spec", "scaleTargetRef", "name")).isEqualTo("demo-lctserve");
        assertThat((Integer) path(hpa, "spec", "metrics", 0, "resource", "target", "averageUtilization"))
                .isEqualTo(70);
        assertThat((String) path(hpa, "spec", "metrics", 1, "pods", "metric", "name"))
                .isEqualTo("lctserve_queue_seconds_per_request");
        assertThat((Object) path(m.get("Deployment/demo-lctserve"), "spec", "replicas"))
                .as("the HPA owns replicas")
                .isNull();
    }

    @Test
    void serviceMonitorScrapesPrometheusEndpoint() {
        Map<String, Map<String, Object>> m =
                render(Map.of("serviceMonitor.enabled", true, "serviceMonitor.labels.release", "kube-prom"));

        Map<String, Object> sm = m.get("ServiceMonitor/demo-lctserve");
        assertThat((String) path(sm, "spec", "endpoints", 0, "path")).isEqualTo("/actuator/prometheus");
        assertThat((String) path(sm, "spec", "endpoints", 0, "port")).isEqualTo("http");
        assertThat((String) path(sm, "metadata", "labels", "release")).isEqualTo("kube-prom");
    }

    @Test
    void badValuesAreRejected() {
        assertThatThrownBy(() -> render(Map.of("server.defaultThreshold", 2))).hasMessageContaining("defaultThreshold");
        assertThatThrownBy(() -> render(Map.of("models.source", "s3"))).hasMessageContaining("source");
        assertThatThrownBy(() -> render(Map.of("server.threads", 4))).hasMessageContaining("threads");
        assertThatThrownBy(() -> render(Map.of("models.source", "pvc")))
                .hasMessageContaining("models.pvc.existingClaim is required");
    }
}
