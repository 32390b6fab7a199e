package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The per-request accuracy contract, {@code max_disagreement}, on the shipped model and the default
 * verification fraction: the last head answers while no preset's live-verified share of differing
 * answers is within it, those answers run every head and so verify every preset at once, and once
 * one is verified within it the cheapest such preset answers, saying so with its live estimate.
 * Each test uses its own model version, since each version keeps its own live windows.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "lctserve.verification.window=400")
class AccuracyContractTest {

    private static final int PER_REQUEST = 8;

    @LocalServerPort
    int port;

    @Test
    void theLastHeadAnswersUntilLiveTrafficHasVerifiedAPresetWithinTheContract() {
        Http http = new Http(port);
        String infer = "/v2/models/" + ShippedModel.NAME + "/versions/3/infer";

        JsonNode first = http.postJson(infer, ShippedModel.inferBody(0, PER_REQUEST, "{\"max_disagreement\":0.08}"))
                .json();
        JsonNode p = first.get("parameters");
        assertThat(p.get("served_by").asString()).isEqualTo("last_head");
        assertThat(p.get("why").asString()).contains("no preset");
        assertThat(p.get("rule").asString()).isEqualTo("max_disagreement:0.08:last_head");
        JsonNode full = http.postJson(infer, ShippedModel.inferBody(0, PER_REQUEST, "{\"mode\":\"full\"}"))
                .json();
        assertThat(ShippedModel.classes(first))
                .as("the last head's answers are the full model's")
                .isEqualTo(ShippedModel.classes(full));

        // every last-head answer runs every head: each preset's window grows by the request's samples
        JsonNode served = null;
        int lastHead = 1;
        for (int start = PER_REQUEST; start < 2000 && served == null; start += PER_REQUEST) {
            JsonNode answer = http.postJson(
                            infer, ShippedModel.inferBody(start, PER_REQUEST, "{\"max_disagreement\":0.08}"))
                    .json()
                    .get("parameters");
            if (answer.get("served_by").asString().startsWith("preset:")) {
                served = answer;
            } else {
                lastHead++;
            }
        }
        assertThat(served).as("a preset verified within 8 %% on clean traffic").isNotNull();
        assertThat(served.get("live_upper").asDouble()).isLessThanOrEqualTo(0.08);
        assertThat(served.get("live_window").asInt()).isGreaterThanOrEqualTo(100);
        assertThat(served.get("rule").asString())
                .isEqualTo("max_disagreement:0.08:" + served.get("served_by").asString());

        // the one that served is the cheapest of those the live windows put within the contract, once
        // the windows hold every sample of the answers before it (counted after each answer is sent)
        long counted = (long) lastHead * PER_REQUEST;
        await().atMost(Duration.ofSeconds(30)).until(() -> leastVerified(http) >= counted);
        JsonNode metadata = http.get("/v2/models/" + ShippedModel.NAME + "/versions/3")
                .json()
                .get("parameters");
        Map<String, Double> cost = new HashMap<>();
        metadata.get("presets")
                .properties()
                .forEach(e -> cost.put(
                        e.getKey(), e.getValue().get("meanMacsFraction").asDouble()));
        String cheapest = null;
        for (JsonNode live : metadata.get("live")) {
            String preset = live.get("preset").asString();
            if (live.get("window").asInt() >= 100
                    && live.get("upper").asDouble() <= 0.08
                    && (cheapest == null || cost.get(preset) < cost.get(cheapest))) {
                cheapest = preset;
            }
        }
        assertThat(served.get("served_by").asString()).isEqualTo("preset:" + cheapest);
    }

    private static long leastVerified(Http http) {
        long least = Long.MAX_VALUE;
        for (JsonNode live : http.get("/v2/models/" + ShippedModel.NAME + "/versions/3")
                .json()
                .get("parameters")
                .get("live")) {
            least = Math.min(least, live.get("verified").asLong());
        }
        return least;
    }

    @Test
    void aContractNoPresetCanMeetIsAlwaysTheLastHead() {
        Http http = new Http(port);
        String infer = "/v2/models/" + ShippedModel.NAME + "/versions/2/infer";
        for (int start = 0; start < 800; start += PER_REQUEST) {
            JsonNode p = http.postJson(
                            infer, ShippedModel.inferBody(start, PER_REQUEST, "{\"max_disagreement\":0.001}"))
                    .json()
                    .get("parameters");
            // 400 samples without one differing still leave a 95 % upper bound near 1 %
            assertThat(p.get("served_by").asString()).isEqualTo("last_head");
            assertThat(p.get("macs_fraction").asDouble()).isGreaterThanOrEqualTo(1.0);
        }
    }
}
