package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.server.LctServeApplication;
import io.lctserve.server.inference.Admission;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.model.ModelRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Admission before work: with {@code max-in-flight} requests already inside, the next one is refused
 * at once with 503 and Retry-After without its body being read (this one never sends its body),
 * and the ones inside are still answered.
 */
class AdmissionTest {

    @Test
    void beyondMaxInFlightARequestIsRefusedBeforeItsBodyIsRead() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(LctServeApplication.class)
                .run("--server.port=0", "--lctserve.max-concurrent-inferences=1", "--lctserve.max-in-flight=2");
        int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        Http http = new Http(port);
        Admission admission = context.getBean(Admission.class);
        Counter refused = context.getBean(MeterRegistry.class)
                .get("lctserve.refused")
                .tag("model", ShippedModel.NAME)
                .counter();
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try (HeldComputeSlot slot = HeldComputeSlot.take(context)) {
            List<Future<Http.Reply>> inside = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                inside.add(clients.submit(
                        () -> http.postJson("/v2/models/fashion-mnist/infer", ShippedModel.inferBody(0, 1, null))));
            }
            // both wait in the batching queue, on request threads (not between a late body and its dispatch)
            BatchScheduler scheduler = context.getBean(BatchingEngine.class)
                    .scheduler(context.getBean(ModelRegistry.class)
                            .find(ShippedModel.NAME, null)
                            .orElseThrow());
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> scheduler.queueLengths()[0] == 2 && admission.inFlight() == 2);

            String answer = refusedBeforeItsBody(port, "/v2/models/fashion-mnist/infer", refused);

            assertThat(answer).startsWith("HTTP/1.1 503");
            assertThat(answer).containsIgnoringCase("Retry-After: 1");
            assertThat(answer)
                    .contains("{\"error\":\"the server is busy: 2 inference requests in flight"
                            + " (lctserve.max-in-flight); retry later\"}");
            assertThat(refused.count()).isEqualTo(1);
            slot.close();
            for (Future<Http.Reply> f : inside) {
                assertThat(f.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
            }
        } finally {
            clients.shutdownNow();
            context.close();
        }
    }

    /**
     * Sends a POST's headers, waits until the server has refused it (its refusal counter moves) while
     * the body is still unsent, then sends the body and returns the whole answer.
     */
    private static String refusedBeforeItsBody(int port, String path, Counter refused) throws Exception {
        byte[] body = ShippedModel.inferBody(0, 1, null).getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> refused.count() == 1);
            out.write(body);
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
