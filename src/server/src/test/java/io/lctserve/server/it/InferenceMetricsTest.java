package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.Mode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The meters hold what the responses said: one exit per answered sample, compute saved and
 * overspent summed from every graph each sample ran, one request per request with its outcome.
 * Values are read as differences, since the server is shared with the other integration tests.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class InferenceMetricsTest {

    private static final String INFER = "/v2/models/" + ShippedModel.NAME + "/infer";
    private static final ComputeCost COST = ComputeCost.of(ShippedModel.manifest());
    private static final int STAGES = ShippedModel.manifest().exitCount();

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    private double counter(String name, String... tags) {
        Counter c =
                registry.find(name).tag("model", ShippedModel.NAME).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private long requests(String mode, String outcome) {
        Timer t = registry.find("lctserve.requests")
                .tags("model", ShippedModel.NAME, "mode", mode, "outcome", outcome)
                .timer();
        return t == null ? 0 : t.count();
    }

    private double[] exits() {
        double[] exits = new double[STAGES];
        for (int k = 0; k < STAGES; k++) {
            exits[k] = counter("lctserve.exits", "stage", Integer.toString(k));
        }
        return exits;
    }

    private static int[] exitStages(Http.Reply reply) {
        for (JsonNode o : reply.json().get("outputs")) {
            if (o.get("name").asString().equals("exit_stage")) {
                int[] stages = new int[o.get("data").size()];
                for (int i = 0; i < stages.length; i++) {
                    stages[i] = o.get("data").get(i).asInt();
                }
                return stages;
            }
        }
        throw new AssertionError("no exit_stage in " + reply.body());
    }

    @Test
    void everyAnsweredSampleCountsOneExitAndTheComputeItRan() {
        double[] exitsBefore = exits();
        double savedBefore = counter("lctserve.macs.saved");
        double overspentBefore = counter("lctserve.macs.overspent");

        Http.Reply reply = http.postJson(INFER, ShippedModel.inferBody(0, 64, "{\"threshold\":0.95}"));

        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        int[] answeredAt = exitStages(reply);
        double[] expectedExits = new double[STAGES];
        double saved = 0;
        double overspent = 0;
        long spent = 0;
        for (int k : answeredAt) {
            expectedExits[k]++;
            long macs = COST.macs(Mode.EARLY_EXIT, k);
            spent += macs;
            saved += Math.max(0, COST.fullModel() - macs);
            overspent += Math.max(0, macs - COST.fullModel());
        }
        double[] exitsAfter = exits();
        for (int k = 0; k < STAGES; k++) {
            assertThat(exitsAfter[k] - exitsBefore[k]).as("exits at stage " + k).isEqualTo(expectedExits[k]);
        }
        assertThat(saved).as("some images exit early at 0.95").isGreaterThan(COST.fullModel());
        assertThat(counter("lctserve.macs.saved") - savedBefore).isEqualTo(saved);
        assertThat(counter("lctserve.macs.overspent") - overspentBefore).isEqualTo(overspent);
        assertThat(reply.json().get("parameters").get("macs_fraction").asDouble())
                .isCloseTo(spent / (64.0 * COST.fullModel()), within(1e-12));
    }

    @Test
    void theEnsembleRunsMoreThanTheFullModelAndSaysSo() {
        double savedBefore = counter("lctserve.macs.saved");
        double overspentBefore = counter("lctserve.macs.overspent");
        double lastBefore = exits()[STAGES - 1];

        Http.Reply reply = http.postJson(INFER, ShippedModel.inferBody(0, 10, "{\"mode\":\"ensemble\"}"));

        long extra = COST.macs(Mode.ENSEMBLE, STAGES - 1) - COST.fullModel();
        assertThat(counter("lctserve.macs.overspent") - overspentBefore).isEqualTo(10.0 * extra);
        assertThat(counter("lctserve.macs.saved") - savedBefore).isZero();
        assertThat(exits()[STAGES - 1] - lastBefore).isEqualTo(10);
        assertThat(reply.json().get("parameters").get("macs_fraction").asDouble())
                .isCloseTo(COST.fraction(Mode.ENSEMBLE, STAGES - 1), within(1e-12))
                .isGreaterThan(1.0);
    }

    @Test
    void eachRequestIsRecordedOnceWithItsModeAndOutcome() {
        long full = requests("full", "success");
        long invalid = requests("early_exit", "invalid");
        long unreadable = requests("unknown", "invalid");
        DistributionSummary stage0 = registry.get("lctserve.batch.size")
                .tags("model", ShippedModel.NAME, "stage", "0")
                .summary();
        long batches = stage0.count();
        double samples = stage0.totalAmount();

        http.postJson(INFER, ShippedModel.inferBody(0, 8, "{\"mode\":\"full\"}"));
        Http.Reply badThreshold = http.postJson(INFER, ShippedModel.inferBody(0, 1, "{\"threshold\":1.5}"));
        Http.Reply badMode = http.postJson(INFER, ShippedModel.inferBody(0, 1, "{\"mode\":\"fastest\"}"));

        assertThat(badThreshold.status()).isEqualTo(400);
        assertThat(badMode.status()).isEqualTo(400);
        assertThat(requests("full", "success") - full).isEqualTo(1);
        assertThat(requests("early_exit", "invalid") - invalid).isEqualTo(1);
        assertThat(requests("unknown", "invalid") - unreadable).isEqualTo(1);
        assertThat(stage0.count() - batches)
                .as("one stage-0 batch: the full request's")
                .isEqualTo(1);
        assertThat(stage0.totalAmount() - samples).isEqualTo(8);
    }
}
