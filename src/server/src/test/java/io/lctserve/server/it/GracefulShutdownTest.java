package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lctserve.server.LctServeApplication;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Shutdown as Kubernetes drives it: readiness goes DOWN while requests are still served, requests
 * in flight finish with 200, and afterwards new connections are refused rather than half-answered.
 */
class GracefulShutdownTest {

    @Test
    void inFlightRequestsFinishAndReadinessIsDownDuringTheDrain() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(LctServeApplication.class)
                .run("--server.port=0", "--lctserve.drain=1500ms");
        int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        Http http = new Http(port);
        assertThat(http.get("/actuator/health/readiness").status()).isEqualTo(200);
        String heavy = ShippedModel.inferBody(0, 256, "{\"mode\":\"ensemble\"}");

        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> inFlight = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                inFlight.add(clients.submit(() ->
                        http.postJson("/v2/models/fashion-mnist/infer", heavy).status()));
            }
            Thread.sleep(50);
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(context::close);
            Thread.sleep(500);

            Http.Reply readiness = http.get("/actuator/health/readiness");
            assertThat(readiness.status()).isEqualTo(503);
            assertThat(readiness.body()).contains("OUT_OF_SERVICE");
            assertThat(http.get("/v2/health/ready").status()).isEqualTo(503);
            assertThat(http.get("/v2/health/live").status())
                    .as("still serving during the drain")
                    .isEqualTo(200);

            for (Future<Integer> f : inFlight) {
                assertThat(f.get()).isEqualTo(200);
            }
            shutdown.get();
            assertThatThrownBy(() -> http.get("/v2/health/live")).isInstanceOf(UncheckedIOException.class);
        } finally {
            clients.shutdownNow();
            context.close();
        }
    }
}
