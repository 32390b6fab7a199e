package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.server.LctServeApplication;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The served models follow the repository on disk without a restart: a new version is served within
 * seconds, a corrupt replacement is refused while the version before keeps serving, a removed
 * version stops taking requests and answers the ones in flight; Triton's repository API lists,
 * unloads and loads.
 */
class RepositoryFollowsDiskTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String INFER = "/v2/models/fashion-mnist/infer";

    @TempDir
    Path repository;

    ConfigurableApplicationContext context;
    Http http;
    ModelRegistry registry;

    @BeforeEach
    void start() throws IOException {
        copy(ShippedModel.FOLDER, repository.resolve("fashion-mnist/1"), "1");
        context = new SpringApplicationBuilder(LctServeApplication.class)
                .run(
                        "--server.port=0",
                        "--lctserve.model-repository=" + repository,
                        "--lctserve.repository.poll-interval=200ms",
                        "--lctserve.repository.control=true",
                        "--lctserve.max-concurrent-inferences=1");
        http = new Http(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
        registry = context.getBean(ModelRegistry.class);
    }

    @AfterEach
    void stop() {
        context.close();
    }

    /** Copies a model folder as version {@code version}. */
    private static void copy(Path from, Path to, String version) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        Path manifest = to.resolve("manifest.json");
        Files.writeString(
                manifest,
                Files.readString(manifest)
                        .replaceFirst("\"version\" : \"[0-9]+\"", "\"version\" : \"" + version + "\""));
    }

    private static void delete(Path folder) throws IOException {
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void newCorruptAndRemovedVersionsAreFollowedWithoutARestart() throws Exception {
        // a new version is served, and is the default
        copy(ShippedModel.FOLDER, repository.resolve("fashion-mnist/2"), "2");
        await().atMost(PATIENCE).until(() -> registry.versions("fashion-mnist").equals(List.of("1", "2")));
        Http.Reply newest = http.postJson(INFER, ShippedModel.inferBody(0, 1, null));
        assertThat(newest.status()).isEqualTo(200);
        assertThat(newest.json().get("model_version").asString()).isEqualTo("2");
        LoadedModel two = registry.find("fashion-mnist", "2").orElseThrow();

        // a corrupt replacement is refused; version 2 as loaded keeps serving, the refusal is visible
        Files.write(repository.resolve("fashion-mnist/2/head-1.onnx"), new byte[] {1, 2, 3});
        await().atMost(PATIENCE).until(() -> registry.failures().containsKey("fashion-mnist/2"));
        assertThat(registry.failures().get("fashion-mnist/2")).startsWith("replacement refused");
        assertThat(registry.find("fashion-mnist", "2")).containsSame(two);
        assertThat(http.postJson("/v2/models/fashion-mnist/versions/2/infer", ShippedModel.inferBody(0, 1, null))
                        .status())
                .isEqualTo(200);
        assertThat(http.get("/actuator/health/readiness").body()).contains("replacement refused");
        assertThat(http.get("/actuator/prometheus").body()).contains("lctserve_models_failed 1.0");

        // removed while a request is in flight: no new requests, the one inside is answered, then it closes
        CompletableFuture<Http.Reply> inFlight;
        try (HeldComputeSlot slot = HeldComputeSlot.take(context)) {
            inFlight = CompletableFuture.supplyAsync(() ->
                    http.postJson("/v2/models/fashion-mnist/versions/2/infer", ShippedModel.inferBody(0, 1, null)));
            BatchScheduler scheduler = context.getBean(BatchingEngine.class).scheduler(two);
            await().atMost(PATIENCE).until(() -> scheduler.queueLengths()[0] == 1);
            delete(repository.resolve("fashion-mnist/2"));
            await().atMost(PATIENCE)
                    .until(() -> registry.versions("fashion-mnist").equals(List.of("1")));
            assertThat(http.postJson("/v2/models/fashion-mnist/versions/2/infer", ShippedModel.inferBody(0, 1, null))
                            .status())
                    .isEqualTo(404);
            assertThat(two.isClosed()).as("still answering its request").isFalse();
        }
        assertThat(inFlight.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
        await().atMost(PATIENCE).until(two::isClosed);
        assertThat(http.postJson(INFER, ShippedModel.inferBody(0, 1, null))
                        .json()
                        .get("model_version")
                        .asString())
                .isEqualTo("1");
    }

    @Test
    void tritonsRepositoryApiListsUnloadsAndLoads() {
        Http.Reply index = http.post("/v2/repository/index", java.util.Map.of(), new byte[0]);
        assertThat(index.status()).isEqualTo(200);
        assertThat(index.body())
                .contains("{\"name\":\"fashion-mnist\",\"version\":\"1\",\"state\":\"READY\",\"reason\":\"\"}");

        assertThat(http.post("/v2/repository/models/fashion-mnist/unload", java.util.Map.of(), new byte[0])
                        .status())
                .isEqualTo(200);
        assertThat(http.postJson(INFER, ShippedModel.inferBody(0, 1, null)).status())
                .isEqualTo(404);
        assertThat(http.post("/v2/repository/index", java.util.Map.of(), new byte[0])
                        .body())
                .contains("\"state\":\"UNAVAILABLE\",\"reason\":\"unloaded\"");

        Http.Reply load = http.post("/v2/repository/models/fashion-mnist/load", java.util.Map.of(), new byte[0]);
        assertThat(load.status()).as(load.body()).isEqualTo(200);
        assertThat(http.postJson(INFER, ShippedModel.inferBody(0, 1, null)).status())
                .isEqualTo(200);

        Http.Reply missing = http.post("/v2/repository/models/nothing/load", java.util.Map.of(), new byte[0]);
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("error").asString()).isEqualTo("no model folder nothing in the repository");
    }
}
