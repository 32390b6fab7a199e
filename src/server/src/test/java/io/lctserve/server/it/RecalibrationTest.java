package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Recalibration on the shipped model: clean traffic leaves the presets as the manifest set them;
 * images moved 4 pixels right and down make the balanced preset drift, its setting is searched again
 * on the live samples, and on held-out moved images its answers then differ from the full model's
 * far less often than the manifest's setting did on the live samples; clean traffic again brings the
 * manifest's setting back. Every sample is verified here (fraction 1) and the windows are 600, so
 * that each phase takes seconds.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"lctserve.verification.fraction=1.0", "lctserve.verification.window=600"})
class RecalibrationTest {

    private static final String MODEL = "/v2/models/" + ShippedModel.NAME;
    private static final int PER_REQUEST = 8;
    private static final String BALANCED = "{\"preset\":\"balanced\"}";

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    @Test
    void aDriftedPresetIsSetAgainOnLiveTrafficAndGoesBackWhenTrafficDoes() {
        Http http = new Http(port);

        send(http, 0, 1200, 0, BALANCED);
        await().atMost(Duration.ofSeconds(60)).until(() -> verified(http) >= 1100);
        assertThat(recalibrated(http).size())
                .as("clean traffic changes nothing")
                .isZero();
        assertThat(recalibrations("drift")).isZero();

        send(http, 1200, 3600, 4, BALANCED);
        await().atMost(Duration.ofSeconds(60)).until(() -> recalibrated(http).has("balanced"));
        JsonNode balanced = recalibrated(http).get("balanced");
        double calibrated = ShippedModel.manifest().presets().get("balanced").validationDisagreement();
        assertThat(balanced.get("manifestDisagreement").asDouble())
                .as(balanced.toString())
                .isGreaterThan(2 * calibrated);
        assertThat(balanced.get("disagreement").asDouble()).isLessThanOrEqualTo(calibrated);
        assertThat(recalibrations("drift")).isPositive();

        // held-out moved images: balanced now, against the full model on the same images
        int differing = 0;
        int n = 0;
        for (int start = 8000; start < 8800; start += PER_REQUEST) {
            JsonNode early = classes(http, start, 4, BALANCED);
            JsonNode full = classes(http, start, 4, "{\"mode\":\"full\"}");
            for (int i = 0; i < PER_REQUEST; i++, n++) {
                differing += early.get(i).asLong() == full.get(i).asLong() ? 0 : 1;
            }
        }
        assertThat(differing / (double) n)
                .as("%d of %d differ", differing, n)
                .isLessThan(balanced.get("manifestDisagreement").asDouble() / 2);
        assertThat(recalibrations("return"))
                .as("no preset goes back while the traffic stays moved")
                .isZero();

        send(http, 3600, 6000, 0, BALANCED);
        await().atMost(Duration.ofSeconds(60)).until(() -> !recalibrated(http).has("balanced"));
        assertThat(recalibrations("return")).isPositive();
    }

    private static void send(Http http, int from, int to, int shift, String parameters) {
        for (int start = from; start < to; start += PER_REQUEST) {
            Http.Reply r =
                    http.postJson(MODEL + "/infer", ShippedModel.inferBody(start, PER_REQUEST, parameters, shift));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    private static JsonNode classes(Http http, int start, int shift, String parameters) {
        Http.Reply r = http.postJson(MODEL + "/infer", ShippedModel.inferBody(start, PER_REQUEST, parameters, shift));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return ShippedModel.classes(r.json());
    }

    private static JsonNode recalibrated(Http http) {
        return http.get(MODEL).json().get("parameters").get("recalibrated");
    }

    private static long verified(Http http) {
        for (JsonNode preset : http.get(MODEL).json().get("parameters").get("live")) {
            if (preset.get("preset").asString().equals("balanced")) {
                return preset.get("verified").asLong();
            }
        }
        return 0;
    }

    private double recalibrations(String direction) {
        return meters.find("lctserve.recalibrations").tag("direction", direction).counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }
}
