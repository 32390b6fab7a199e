package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.InferParameter;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What docker/Dockerfile does, without a Docker engine: every path it copies from the repository
 * exists, the packaged jar extracts into the layers it copies, and docker/entrypoint.sh (the
 * image's entry point) starts that extraction into a server that serves the shipped model and
 * shuts down cleanly on SIGTERM.
 */
class ContainerEntrypointIT {

    private static final Path DOCKERFILE = Path.of("docker/Dockerfile");

    @Test
    void everyRepositoryPathTheImageCopiesExists() throws IOException {
        List<String> missing = new ArrayList<>();
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(.+?) (\\S+)$").matcher(Files.readString(DOCKERFILE));
        int copies = 0;
        while (copy.find()) {
            for (String source : copy.group(1).trim().split("\\s+")) {
                copies++;
                if (!Files.exists(Path.of(source))) {
                    missing.add(source);
                }
            }
        }
        assertThat(copies).isGreaterThanOrEqualTo(5);
        assertThat(missing).isEmpty();
        assertThat(Files.isExecutable(Path.of("docker/entrypoint.sh"))).isTrue();
    }

    @Test
    void theEntrypointStartsTheExtractedJarAndShutsDownCleanly(@TempDir Path tmp) throws Exception {
        Path jar = Path.of(System.getProperty("lctserve.server.jar", "src/server/target/lctserve-server.jar"));
        Path layers = tmp.resolve("layers");
        run(List.of(
                "java",
                "-Djarmode=tools",
                "-jar",
                jar.toString(),
                "extract",
                "--layers",
                "--destination",
                layers.toString()));
        Path app = Files.createDirectories(tmp.resolve("app"));
        Matcher layerCopy =
                Pattern.compile("(?m)^COPY --from=build /layers/(\\S+)/ \\./$").matcher(Files.readString(DOCKERFILE));
        int layerCount = 0;
        while (layerCopy.find()) {
            layerCount++;
            copyTree(layers.resolve(layerCopy.group(1)), app);
        }
        assertThat(layerCount).isEqualTo(4);

        int port;
        int grpcPort;
        try (ServerSocket s = new ServerSocket(0);
                ServerSocket g = new ServerSocket(0)) {
            port = s.getLocalPort();
            grpcPort = g.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(
                        "docker/entrypoint.sh",
                        "--server.port=" + port,
                        "--lctserve.grpc.port=" + grpcPort,
                        "--lctserve.drain=2s")
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("server.log").toFile());
        pb.environment().put("APP_DIR", app.toString());
        // the image's memory settings, so that a flag the JVM refuses fails here, not in a cluster
        String dockerfile = Files.readString(DOCKERFILE);
        for (String name : new String[] {"JAVA_MEMORY_OPTS", "MALLOC_ARENA_MAX"}) {
            Matcher set = Pattern.compile(name + "=(\"[^\"]*\"|\\S+)").matcher(dockerfile);
            assertThat(set.find()).as(name + " in " + DOCKERFILE).isTrue();
            pb.environment().put(name, set.group(1).replace("\"", ""));
        }
        pb.environment()
                .put(
                        "LCTSERVE_MODEL_REPOSITORY",
                        Path.of("models").toAbsolutePath().toString());
        Process server = pb.start();
        try {
            Http http = new Http(port);
            waitUntilReady(http, server, tmp.resolve("server.log"));
            assertThat(http.postJson("/v2/models/fashion-mnist/infer", ShippedModel.inferBody(0, 1, null))
                            .status())
                    .isEqualTo(200);
            assertThat(http.get("/").body()).as("the page ships in the image").contains("<title>lctserve");
            assertThat(http.get("/app.js").status()).isEqualTo(200);
            ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", grpcPort)
                    .usePlaintext()
                    .build();
            try {
                assertThat(HealthGrpc.newBlockingStub(channel)
                                .withDeadlineAfter(30, TimeUnit.SECONDS)
                                .check(HealthCheckRequest.getDefaultInstance())
                                .getStatus())
                        .as("gRPC is served from the image")
                        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
                // under load: 8 calls in flight until the drain has ended
                GrpcLoad load = new GrpcLoad(channel, 8);
                await().atMost(Duration.ofSeconds(30)).until(() -> load.answered.get() >= 200);
                server.destroy(); // SIGTERM, as Kubernetes sends it
                Path serverLog = tmp.resolve("server.log");
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> Files.readString(serverLog).contains("readiness is DOWN, still serving"));
                int atDrain = load.answered.get();
                // inside the 2 s drain calls are still answered: 100 more of them before the load stops
                await().atMost(Duration.ofSeconds(30)).until(() -> load.answered.get() >= atDrain + 100);
                load.stop();
                assertThat(load.failures).as("calls during the drain").isEmpty();
            } finally {
                channel.shutdownNow();
            }
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String log = Files.readString(tmp.resolve("server.log"));
            // ONNX Runtime's own shutdown hook frees its environment: before OrderlyShutdown it ran beside
            // the drain and stage runs crashed the JVM (SIGSEGV in libonnxruntime, exit status 134)
            assertThat(log).doesNotContain("A fatal error has been detected");
            assertThat(server.exitValue())
                    .as("exit status after SIGTERM (128 + 15)")
                    .isEqualTo(143);
            assertThat(log)
                    .contains("SIGTERM: stopping the application before the JVM's shutdown hooks")
                    .contains("Graceful shutdown complete")
                    .contains("Closed " + shippedVersions() + " models");
        } finally {
            server.destroyForcibly();
        }
    }

    /** Keeps {@code inFlight} batch-1 inference calls going until stopped; notes every failure. */
    private static final class GrpcLoad {
        final AtomicInteger answered = new AtomicInteger();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        private volatile boolean stopped;
        private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub;
        private final ModelInferRequest request;

        GrpcLoad(ManagedChannel channel, int inFlight) {
            stub = GRPCInferenceServiceGrpc.newStub(channel);
            request = ShippedModel.grpcRequest(0)
                    .putParameters(
                            "mode",
                            InferParameter.newBuilder().setStringParam("full").build())
                    .build();
            for (int i = 0; i < inFlight; i++) {
                next();
            }
        }

        private void next() {
            if (stopped) {
                return;
            }
            stub.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(request, new StreamObserver<>() {
                @Override
                public void onNext(ModelInferResponse response) {
                    answered.incrementAndGet();
                }

                @Override
                public void onError(Throwable t) {
                    if (!stopped) {
                        failures.add(t);
                    }
                }

                @Override
                public void onCompleted() {
                    next();
                }
            });
        }

        void stop() {
            stopped = true;
        }
    }

    private static void waitUntilReady(Http http, Process server, Path log) {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptionsInstanceOf(UncheckedIOException.class) // not listening yet
                .until(() -> {
                    if (!server.isAlive()) {
                        throw new AssertionError("server exited: " + Files.readString(log));
                    }
                    return http.get("/actuator/health/readiness").status() == 200;
                });
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Every version folder under models/: the server loads and, at shutdown, closes each. */
    private static long shippedVersions() throws IOException {
        try (var names = Files.list(Path.of("models"))) {
            long n = 0;
            for (Path name : names.toList()) {
                try (var versions = Files.list(name)) {
                    n += versions.filter(Files::isDirectory).count();
                }
            }
            return n;
        }
    }
}
