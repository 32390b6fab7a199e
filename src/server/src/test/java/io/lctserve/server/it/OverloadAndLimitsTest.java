package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lctserve.server.LctServeApplication;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A server with one compute slot, a 200 ms queue timeout and a 100 kB body limit: what a client
 * meets when every slot stays busy, and when a body of unknown length runs over the limit.
 */
class OverloadAndLimitsTest {

    static ConfigurableApplicationContext context;
    static Http http;
    static int port;

    @BeforeAll
    static void start() {
        context = new SpringApplicationBuilder(LctServeApplication.class)
                .run(
                        "--server.port=0",
                        "--lctserve.max-concurrent-inferences=1",
                        "--lctserve.queue-timeout=200ms",
                        "--lctserve.max-request-bytes=100000");
        port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        http = new Http(port);
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    private static long busy() {
        Timer t = context.getBean(MeterRegistry.class)
                .find("lctserve.requests")
                .tags("model", ShippedModel.NAME, "outcome", "busy")
                .timer();
        return t == null ? 0 : t.count();
    }

    @Test
    void whenNoComputeSlotFreesInTimeTheClientIsToldToRetry() throws Exception {
        long busyBefore = busy();
        try (HeldComputeSlot slot = HeldComputeSlot.take(context)) {
            HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(
                                            URI.create("http://localhost:" + port + "/v2/models/fashion-mnist/infer"))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(ShippedModel.inferBody(0, 1, null)))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).contains("1");
            assertThat(r.body()).isEqualTo("{\"error\":\"no compute slot became free within 200 ms; retry later\"}");
            assertThat(busy() - busyBefore).isEqualTo(1);
        }
        assertThat(http.postJson("/v2/models/fashion-mnist/infer", ShippedModel.inferBody(0, 1, null))
                        .status())
                .as("served again once the slot is free")
                .isEqualTo(200);
    }

    @Test
    void aChunkedBodyOverTheLimitIs413() {
        byte[] big = ShippedModel.inferBody(0, 64, null).getBytes(StandardCharsets.UTF_8);
        assertThat(big.length).isGreaterThan(100_000);

        Http.Reply r = http.post(
                "/v2/models/fashion-mnist/infer",
                "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)));

        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("error").asString())
                .isEqualTo("request body exceeds the limit of 100000 bytes (lctserve.max-request-bytes)");
    }
}
