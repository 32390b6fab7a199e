package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.server.LctServeApplication;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * Requests with different knobs that wait together share stage runs, through HTTP, and each gets the
 * answer it gets alone. The one compute slot is held until every request's samples are queued, so
 * the merge is certain, not a matter of timing.
 */
class BatchingIntegrationTest {

    private static final String INFER = "/v2/models/" + ShippedModel.NAME + "/infer";
    private static final int PER_REQUEST = 4;
    private static final List<String> KNOBS = List.of(
            "{\"preset\":\"balanced\"}",
            "{\"preset\":\"fast\"}",
            "{\"mode\":\"full\"}",
            "{\"mode\":\"ensemble\"}",
            "{\"threshold\":0.99,\"priority\":2}",
            "{\"preset\":\"balanced-patience\"}",
            "{\"mode\":\"stage\",\"max_stage\":1}",
            "{\"preset\":\"balanced-entropy\",\"max_stage\":2}");

    static ConfigurableApplicationContext context;
    static Http http;

    @BeforeAll
    static void start() {
        context = new SpringApplicationBuilder(LctServeApplication.class)
                .run(
                        "--server.port=0",
                        "--lctserve.max-concurrent-inferences=1",
                        "--lctserve.batching.max-batch-size=16");
        http = new Http(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    private static DistributionSummary summary(String name, int stage) {
        return context.getBean(MeterRegistry.class)
                .find(name)
                .tags("model", ShippedModel.NAME, "stage", Integer.toString(stage))
                .summary();
    }

    @Test
    void requestsWaitingTogetherShareStageRunsAndGetTheAnswersTheyGetAlone() throws Exception {
        List<String> bodies = new ArrayList<>();
        List<JsonNode> alone = new ArrayList<>();
        for (int r = 0; r < KNOBS.size(); r++) {
            bodies.add(ShippedModel.inferBody(r * PER_REQUEST, PER_REQUEST, KNOBS.get(r)));
            Http.Reply reply = http.postJson(INFER, bodies.get(r)); // nothing else queued: runs alone
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            alone.add(reply.json());
        }
        LoadedModel model = context.getBean(ModelRegistry.class)
                .find(ShippedModel.NAME, null)
                .orElseThrow();
        BatchScheduler scheduler = context.getBean(BatchingEngine.class).scheduler(model);
        long mergedRunsBefore = summary("lctserve.batch.requests", 0).count();

        ExecutorService clients = Executors.newFixedThreadPool(KNOBS.size());
        List<Future<Http.Reply>> replies = new ArrayList<>();
        try (HeldComputeSlot slot = HeldComputeSlot.take(context)) {
            for (String body : bodies) {
                replies.add(clients.submit(() -> http.postJson(INFER, body)));
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> scheduler.queueLengths()[0] == KNOBS.size() * PER_REQUEST);
        }
        for (int r = 0; r < KNOBS.size(); r++) {
            Http.Reply reply = replies.get(r).get(30, TimeUnit.SECONDS);
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            assertSameAnswers(KNOBS.get(r), reply.json(), alone.get(r));
        }
        clients.shutdown();

        DistributionSummary stage0 = summary("lctserve.batch.requests", 0);
        assertThat(stage0.count()).as("stage-0 runs since").isEqualTo(mergedRunsBefore + 2);
        assertThat(stage0.max()).as("requests in one stage-0 run").isEqualTo(4);
        assertThat(summary("lctserve.batch.size", 0).max()).isEqualTo(16);
    }

    private static void assertSameAnswers(String knob, JsonNode batched, JsonNode alone) {
        assertThat(batched.get("parameters").get("macs_fraction").asDouble())
                .as(knob)
                .isEqualTo(alone.get("parameters").get("macs_fraction").asDouble());
        for (String name : List.of("class", "exit_stage", "probabilities")) {
            JsonNode b = output(batched, name);
            JsonNode a = output(alone, name);
            assertThat(b.size()).isEqualTo(a.size());
            for (int i = 0; i < a.size(); i++) {
                assertThat(b.get(i).asDouble())
                        .as(knob + " " + name + "[" + i + "]")
                        .isCloseTo(a.get(i).asDouble(), within(name.equals("probabilities") ? 1e-5 : 0));
            }
        }
    }

    private static JsonNode output(JsonNode response, String name) {
        for (JsonNode o : response.get("outputs")) {
            if (o.get("name").asString().equals(name)) {
                return o.get("data");
            }
        }
        throw new AssertionError("no output " + name + " in " + response);
    }
}
