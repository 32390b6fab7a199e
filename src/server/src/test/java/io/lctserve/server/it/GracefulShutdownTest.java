package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.server.LctServeApplication;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.inference.InferenceGate;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Shutdown as Kubernetes drives it: readiness goes DOWN while requests are still served, requests
 * in flight when the signal arrives finish with 200, and afterwards new connections are refused.
 * The requests are held inside the server (waiting for its one compute slot, which the test holds)
 * until readiness has been seen DOWN, so they are provably in flight.
 */
class GracefulShutdownTest {

    private static final int IN_FLIGHT = 4;
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Test
    void aContextStoppedAndStartedAgainIsReadyAgain() {
        ConfigurableApplicationContext context =
                new SpringApplicationBuilder(LctServeApplication.class).run("--server.port=0");
        try {
            ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
            assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);

            context.stop();
            assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
            context.start();

            assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
        } finally {
            context.close();
        }
    }

    /** The status line and headers of a GET on a kept-alive connection, read off a raw socket. */
    private static String rawHead(int port, String path) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream()
                    .write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            StringBuilder head = new StringBuilder();
            InputStream in = socket.getInputStream();
            while (!head.toString().contains("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.append((char) b);
            }
            return head.toString();
        }
    }

    @ParameterizedTest(name = "batching {0}")
    @ValueSource(booleans = {true, false})
    void requestsInFlightWhenTheSignalArrivesAreAnsweredAndReadinessIsDownDuringTheDrain(boolean batching)
            throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(LctServeApplication.class)
                .run(
                        "--server.port=0",
                        "--lctserve.drain=5s",
                        "--lctserve.max-concurrent-inferences=1",
                        "--lctserve.batching.enabled=" + batching);
        int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        Http http = new Http(port);
        InferenceGate gate = context.getBean(InferenceGate.class);
        LoadedModel model = context.getBean(ModelRegistry.class)
                .find(ShippedModel.NAME, null)
                .orElseThrow();
        BatchScheduler scheduler = context.getBean(BatchingEngine.class).scheduler(model);
        assertThat(scheduler != null).isEqualTo(batching);
        // requests wait for the held slot: alone at the gate, or batched as samples in stage 0's queue
        Callable<Boolean> allWaiting =
                batching ? () -> scheduler.queueLengths()[0] == IN_FLIGHT * 8 : () -> gate.waiting() == IN_FLIGHT;
        assertThat(http.get("/actuator/health/readiness").status()).isEqualTo(200);
        String body = ShippedModel.inferBody(0, 8, "{\"mode\":\"ensemble\"}");

        ExecutorService clients = Executors.newFixedThreadPool(IN_FLIGHT);
        HeldComputeSlot slot = HeldComputeSlot.take(context);
        try {
            List<Future<Http.Reply>> inFlight = new ArrayList<>();
            for (int i = 0; i < IN_FLIGHT; i++) {
                inFlight.add(clients.submit(() -> http.postJson("/v2/models/fashion-mnist/infer", body)));
            }
            await().atMost(PATIENCE).until(allWaiting);

            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(context::close);
            await().atMost(PATIENCE)
                    .until(() -> http.get("/actuator/health/readiness").status() == 503);

            assertThat(http.get("/actuator/health/readiness").body()).contains("OUT_OF_SERVICE");
            assertThat(http.get("/v2/health/ready").status()).isEqualTo(503);
            assertThat(http.get("/v2/health/live").status())
                    .as("still serving during the drain")
                    .isEqualTo(200);
            assertThat(rawHead(port, "/v2/health/live"))
                    .as("answers during the drain tell kept-alive clients to reconnect elsewhere")
                    .containsIgnoringCase("connection: close")
                    .startsWith("HTTP/1.1 200");
            assertThat(inFlight).as("held inside the server").noneMatch(Future::isDone);
            assertThat(allWaiting.call()).isTrue();

            slot.close();
            for (Future<Http.Reply> f : inFlight) {
                Http.Reply reply = f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                assertThat(reply.status()).as(reply.body()).isEqualTo(200);
                assertThat(reply.json()
                                .get("outputs")
                                .get(0)
                                .get("shape")
                                .get(0)
                                .asInt())
                        .isEqualTo(8);
            }
            shutdown.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThatThrownBy(() -> http.get("/v2/health/live")).isInstanceOf(UncheckedIOException.class);
        } finally {
            slot.close();
            clients.shutdownNow();
            context.close();
        }
    }
}
