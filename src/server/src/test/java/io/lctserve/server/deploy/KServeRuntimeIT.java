package io.lctserve.server.deploy;

import static io.lctserve.server.deploy.Chart.path;
import static io.lctserve.server.deploy.Chart.render;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import io.lctserve.server.it.Http;
import io.lctserve.server.it.ShippedModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The server as the chart's KServe runtime starts it: the rendered container's arguments (KServe's
 * {@code {{.Name}}} filled in with the InferenceService's name) given to the image's entry point,
 * on a read-only folder laid out as KServe's storage initializer leaves one at /mnt/models, then
 * called as clients call a KServe predictor: readiness on the runtime's probe, V2 infer over HTTP
 * and over gRPC on the ports the arguments declare. Only the folder and the two port numbers are
 * changed, to a temporary folder and free ports.
 */
class KServeRuntimeIT {

    private static final String ISVC = "fm";

    /** What the storage initializer may leave, by what the storageUri pointed at. */
    enum Layout {
        /** A repository ({@code <name>/<version>/}): served by folder names, as Triton serves one. */
        REPOSITORY,
        /** One model's version folders ({@code <version>/}): served under the InferenceService's name. */
        VERSIONS,
        /** One version's files: served under the InferenceService's name, at the manifest's version. */
        FILES
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void theRenderedRuntimeServesWhatKServePutsAtMntModels(Layout layout, @TempDir Path tmp) throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("mnt/models"));
        Path version = ShippedModel.FOLDER;
        String v = version.getFileName().toString();
        switch (layout) {
            case REPOSITORY -> copyFiles(version, mnt.resolve(ShippedModel.NAME).resolve(v));
            case VERSIONS -> copyFiles(version, mnt.resolve(v));
            case FILES -> copyFiles(version, mnt);
        }
        readOnly(mnt);
        String model = layout == Layout.REPOSITORY ? ShippedModel.NAME : ISVC;

        Map<String, Object> container = path(
                render(Map.of("kserve.runtime.enabled", true)).get("ClusterServingRuntime/lctserve"),
                "spec",
                "containers",
                0);
        int http;
        int grpc;
        try (ServerSocket a = new ServerSocket(0);
                ServerSocket b = new ServerSocket(0)) {
            http = a.getLocalPort();
            grpc = b.getLocalPort();
        }
        List<String> command =
                new ArrayList<>(List.of(Path.of("docker/entrypoint.sh").toString()));
        List<String> args = path(container, "args");
        for (String arg : args) {
            command.add(arg.replace("{{.Name}}", ISVC)
                    .replace("--model_dir=/mnt/models", "--model_dir=" + mnt)
                    .replace("--http_port=8080", "--http_port=" + http)
                    .replace("--grpc_port=9000", "--grpc_port=" + grpc));
        }
        assertThat(command).contains("--http_port=" + http, "--grpc_port=" + grpc, "--model_name=" + ISVC);
        String ready = path(container, "readinessProbe", "httpGet", "path");
        assertThat(path(container, "readinessProbe", "httpGet", "port").toString())
                .isEqualTo("8080");

        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("server.log").toFile());
        pb.environment()
                .put("APP_DIR", Path.of("src/server/target").toAbsolutePath().toString());
        Process server = pb.start();
        try {
            Http client = new Http(http);
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptionsInstanceOf(UncheckedIOException.class)
                    .until(() -> {
                        if (!server.isAlive()) {
                            throw new AssertionError("server exited: " + Files.readString(tmp.resolve("server.log")));
                        }
                        return client.get(ready).status() == 200;
                    });

            assertThat(client.get("/v2/models/" + model)
                            .json()
                            .get("versions")
                            .get(0)
                            .asString())
                    .isEqualTo(v);
            Http.Reply answer = client.postJson("/v2/models/" + model + "/infer", ShippedModel.inferBody(0, 2, null));
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            assertThat(answer.json().get("model_name").asString()).isEqualTo(model);

            ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", grpc)
                    .usePlaintext()
                    .build();
            try {
                ModelInferResponse reply = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .modelInfer(ModelInferRequest.newBuilder()
                                .setModelName(model)
                                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                                        .setName("input")
                                        .setDatatype("UINT8")
                                        .addAllShape(List.of(1L, 1L, 28L, 28L)))
                                .addRawInputContents(ByteString.copyFrom(
                                        ShippedModel.testImages().pixels(), 0, 784))
                                .build());
                assertThat(reply.getModelName()).isEqualTo(model);
                assertThat(reply.getModelVersion()).isEqualTo(v);
            } finally {
                channel.shutdownNow();
            }
        } finally {
            server.destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /** The version's files (its graphs, manifest and samples; not the training report) into {@code to}. */
    private static void copyFiles(Path version, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(version)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName().toString()));
            }
        }
    }

    /** As KServe mounts it: nothing under it can be written. */
    private static void readOnly(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                assertThat(p.toFile().setWritable(false, false)).isTrue();
            }
        }
    }
}
