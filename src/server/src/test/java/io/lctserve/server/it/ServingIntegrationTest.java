package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.Mode;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Rounding;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The server as clients see it: the shipped model, real Fashion-MNIST test images, over HTTP on a
 * random port. The presets are the manifest's here (recalibration off): what is checked is that the
 * server answers them as the trainer measured them.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "lctserve.verification.recalibrate=false")
class ServingIntegrationTest {

    private static final int BATCH = 250;
    private static final String INFER = "/v2/models/" + ShippedModel.NAME + "/infer";

    @LocalServerPort
    int port;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    /**
     * The whole test set's answers through HTTP.
     *
     * @param answers [predicted class, exit stage] per image
     * @param macsFraction compute spent over the whole test set, as the responses report it
     */
    record TestSetAnswers(int[][] answers, double macsFraction) {}

    /** Sends the whole test set in equal batches. */
    private TestSetAnswers classifyTestSet(String parameters) {
        int total = ShippedModel.testImages().size();
        int[][] out = new int[total][];
        double macsFractionSum = 0;
        for (int from = 0; from < total; from += BATCH) {
            Http.Reply r = http.postJson(INFER, ShippedModel.inferBody(from, BATCH, parameters));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode outputs = r.json().get("outputs");
            for (int i = 0; i < BATCH; i++) {
                out[from + i] = new int[] {
                    output(outputs, "class").get(i).asInt(),
                    output(outputs, "exit_stage").get(i).asInt()
                };
            }
            macsFractionSum += r.json().get("parameters").get("macs_fraction").asDouble();
        }
        return new TestSetAnswers(out, macsFractionSum / (total / BATCH));
    }

    private static JsonNode output(JsonNode outputs, String name) {
        for (JsonNode o : outputs) {
            if (o.get("name").asString().equals(name)) {
                return o.get("data");
            }
        }
        throw new AssertionError("no output " + name + " in " + outputs);
    }

    private static double accuracy(int[][] predictions) {
        int[] labels = ShippedModel.testImages().labels();
        int right = 0;
        for (int i = 0; i < predictions.length; i++) {
            right += predictions[i][0] == labels[i] ? 1 : 0;
        }
        return right / (double) predictions.length;
    }

    private static double meanExit(int[][] predictions) {
        double sum = 0;
        for (int[] p : predictions) {
            sum += p[1];
        }
        return sum / predictions.length;
    }

    @Test
    void fullModeAccuracyThroughHttpIsTheManifestsMainHeadAccuracy() {
        Manifest m = ShippedModel.manifest();
        TestSetAnswers full = classifyTestSet("{\"mode\":\"full\"}");

        assertThat(accuracy(full.answers()))
                .isEqualTo(m.evaluation().headAccuracy().get(m.exitCount() - 1));
        assertThat(meanExit(full.answers())).isEqualTo(m.exitCount() - 1);
        assertThat(full.macsFraction()).isEqualTo(1.0);
    }

    @Test
    void everyPresetsAccuracyThroughHttpIsTheManifestsAndExitsEarly() {
        Manifest m = ShippedModel.manifest();
        assertThat(m.presets().values())
                .extracting(p -> ExitRule.of(p).wireName())
                .contains("max_softmax", "entropy", "patience");

        m.presets().forEach((name, preset) -> {
            TestSetAnswers answers = classifyTestSet("{\"preset\":\"" + name + "\"}");

            assertThat(accuracy(answers.answers())).as(name).isEqualTo(preset.testAccuracy());
            assertThat(Rounding.round(answers.macsFraction())).as(name).isEqualTo(preset.meanMacsFraction());
            if (preset.meanMacsFraction() < 1.0) { // a preset cheaper than full mode gets there by exiting early
                assertThat(meanExit(answers.answers())).as(name).isLessThan(m.exitCount() - 1);
            }
        });
        Http.Reply r = http.postJson(INFER, ShippedModel.inferBody(0, 1, "{\"preset\":\"balanced-entropy\"}"));
        assertThat(r.json().get("parameters").get("rule").asString()).isEqualTo("preset:balanced-entropy");
    }

    @Test
    void ensembleAndStageModesMatchTheManifest() {
        Manifest m = ShippedModel.manifest();

        ComputeCost cost = ComputeCost.of(m);
        TestSetAnswers ensemble = classifyTestSet("{\"mode\":\"ensemble\"}");
        assertThat(accuracy(ensemble.answers())).isEqualTo(m.evaluation().ensembleAccuracy());
        assertThat(ensemble.macsFraction()).isCloseTo(cost.fraction(Mode.ENSEMBLE, m.exitCount() - 1), within(1e-12));
        TestSetAnswers stage0 = classifyTestSet("{\"mode\":\"stage\",\"max_stage\":0}");
        assertThat(accuracy(stage0.answers()))
                .isEqualTo(m.evaluation().headAccuracy().get(0));
        assertThat(meanExit(stage0.answers())).isZero();
        assertThat(stage0.macsFraction()).isCloseTo(cost.fraction(Mode.STAGE, 0), within(1e-12));
    }

    @Test
    void lowerThresholdsExitShallower() {
        double[] meanExit = new double[3];
        double[] thresholds = {0.5, 0.9, 0.999};
        for (int i = 0; i < thresholds.length; i++) {
            Http.Reply r =
                    http.postJson(INFER, ShippedModel.inferBody(0, BATCH, "{\"threshold\":" + thresholds[i] + "}"));
            double sum = 0;
            for (JsonNode e : output(r.json().get("outputs"), "exit_stage")) {
                sum += e.asInt();
            }
            meanExit[i] = sum / BATCH;
        }

        assertThat(meanExit[0]).isLessThan(meanExit[1]);
        assertThat(meanExit[1]).isLessThan(meanExit[2]);
    }

    private int[] exitStages(String parameters) {
        Http.Reply r = http.postJson(INFER, ShippedModel.inferBody(0, 64, parameters));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        int[] stages = new int[64];
        JsonNode exits = output(r.json().get("outputs"), "exit_stage");
        for (int i = 0; i < 64; i++) {
            stages[i] = exits.get(i).asInt();
        }
        return stages;
    }

    @Test
    void entropyAndPatienceRulesAreSelectablePerRequest() {
        int last = ShippedModel.manifest().exitCount() - 1;

        assertThat(exitStages("{\"rule\":\"patience\",\"patience\":1}")).containsOnly(0);
        assertThat(exitStages("{\"rule\":\"entropy\",\"entropy\":100}")).containsOnly(0);
        assertThat(exitStages("{\"rule\":\"entropy\",\"entropy\":0}")).containsOnly(last);
        int[] patient = exitStages("{\"rule\":\"patience\",\"patience\":2}");
        assertThat(patient).doesNotContain(0);
        Http.Reply r = http.postJson(INFER, ShippedModel.inferBody(0, 1, "{\"rule\":\"entropy\",\"entropy\":0.5}"));
        assertThat(r.json().get("parameters").get("rule").asString()).isEqualTo("entropy:0.5");
    }

    @Test
    void aBinaryTensorRequestAsTritonsClientSendsItIsAnsweredLikeJson() {
        int n = 16;
        byte[] pixels = java.util.Arrays.copyOfRange(ShippedModel.testImages().pixels(), 0, n * 784);
        byte[] json = ("{\"inputs\":[{\"name\":\"input\",\"shape\":[" + n + ",1,28,28],\"datatype\":\"UINT8\","
                        + "\"parameters\":{\"binary_data_size\":" + pixels.length + "}}],"
                        + "\"parameters\":{\"preset\":\"balanced\"}}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = java.util.Arrays.copyOf(json, json.length + pixels.length);
        System.arraycopy(pixels, 0, body, json.length, pixels.length);

        Http.Reply binary =
                http.post(INFER, java.util.Map.of("Inference-Header-Content-Length", "" + json.length), body);
        Http.Reply plain = http.postJson(INFER, ShippedModel.inferBody(0, n, "{\"preset\":\"balanced\"}"));

        assertThat(binary.status()).as(binary.body()).isEqualTo(200);
        assertThat(binary.json().get("outputs")).isEqualTo(plain.json().get("outputs"));
    }

    @Test
    void aBatchAnswersEachImageAsIfItCameAlone() {
        Http.Reply batch = http.postJson(INFER, ShippedModel.inferBody(100, 32, "{\"threshold\":0.9}"));
        JsonNode outputs = batch.json().get("outputs");

        assertThat(output(outputs, "class")).hasSize(32);
        assertThat(batch.json().get("parameters").get("labels")).hasSize(32);
        for (int i = 0; i < 32; i += 7) {
            JsonNode alone = http.postJson(INFER, ShippedModel.inferBody(100 + i, 1, "{\"threshold\":0.9}"))
                    .json()
                    .get("outputs");
            assertThat(output(alone, "class").get(0).asInt())
                    .isEqualTo(output(outputs, "class").get(i).asInt());
            assertThat(output(alone, "exit_stage").get(0).asInt())
                    .isEqualTo(output(outputs, "exit_stage").get(i).asInt());
            assertThat(output(alone, "confidence").get(0).asDouble())
                    .isCloseTo(
                            output(outputs, "confidence").get(i).asDouble(), org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void aDeadlineTheFirstStageCannotMeetIsRefusedAtOnceNotAnsweredLate() {
        http.postJson(INFER, ShippedModel.inferBody(0, 8, "{\"mode\":\"full\"}")); // measure every stage once

        Http.Reply r = http.postJson(INFER, ShippedModel.inferBody(0, 8, "{\"mode\":\"full\",\"deadline_ms\":0.001}"));

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.json().get("error").asString())
                .contains("deadline cannot be met")
                .contains("retry");
        assertThat(http.get("/actuator/prometheus").body())
                .containsPattern("lctserve_requests_seconds_count\\{[^}]*outcome=\"deadline\"[^}]*\\} [1-9]");
    }

    @Test
    void metricsAndHealthAreExposedAndNothingElse() {
        http.postJson(INFER, ShippedModel.inferBody(0, 4, null));

        String prometheus = http.get("/actuator/prometheus").body();
        List<String> missing = new ArrayList<>();
        for (String meter : List.of(
                "lctserve_requests_seconds_count{",
                "lctserve_exits_total{",
                "lctserve_stage_compute_seconds_count{",
                "lctserve_queue_seconds_count{",
                "lctserve_batch_size_count{",
                "lctserve_macs_saved_total{",
                "lctserve_macs_overspent_total{")) {
            if (!prometheus.contains(meter)) {
                missing.add(meter);
            }
        }
        assertThat(missing).as("meters missing from /actuator/prometheus").isEmpty();
        assertThat(prometheus).contains("model=\"fashion-mnist\"").contains("outcome=\"success\"");

        assertThat(http.get("/actuator/health/liveness").status()).isEqualTo(200);
        Http.Reply readiness = http.get("/actuator/health/readiness");
        assertThat(readiness.status()).as(readiness.body()).isEqualTo(200);
        assertThat(readiness.body()).contains("fashion-mnist/1");
        assertThat(http.get("/actuator/info")
                        .json()
                        .get("build")
                        .get("artifact")
                        .asString())
                .isEqualTo("lctserve-server");
        assertThat(http.get("/actuator/env").status()).isEqualTo(404);
        assertThat(http.get("/actuator/beans").status()).isEqualTo(404);
        assertThat(http.get("/v3/api-docs").body()).contains("/v2/models/{name}/infer");
    }
}
