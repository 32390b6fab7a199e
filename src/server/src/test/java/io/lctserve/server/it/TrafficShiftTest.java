package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.lctserve.core.exit.ExitRule;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * A traffic shift seen in the answers' depth, on the shipped model: clean test images leave the exit
 * profile as calibrated; images moved 4 pixels make balanced's answers go deeper, the server says so
 * (metadata, counter), verifies every answer from then on instead of 2 % of them, and recalibrates
 * balanced on the samples verified since, long before 2 % could have gathered them.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "lctserve.verification.fraction=0.02",
            "lctserve.verification.shift-fraction=1.0",
            "lctserve.verification.window=600"
        })
class TrafficShiftTest {

    private static final String MODEL = "/v2/models/" + ShippedModel.NAME;
    private static final int PER_REQUEST = 8;
    private static final String BALANCED = "{\"preset\":\"balanced\"}";

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    @Autowired
    ApplicationContext context;

    @Test
    void movedImagesShowInTheAnswersDepthAndRaiseVerificationUntilRecalibrated() {
        Http http = new Http(port);

        send(http, 0, 2000, 0);
        JsonNode clean = parameters(http);
        assertThat(clean.has("shift"))
                .as("clean traffic: %s", clean.get("exits"))
                .isFalse();
        JsonNode exits = clean.get("exits").get(0);
        assertThat(exits.get("preset").asString()).isEqualTo("balanced");
        assertThat(exits.get("answers").asInt()).isEqualTo(1000);
        assertThat(exits.get("live").asDouble())
                .isCloseTo(
                        exits.get("expected").asDouble(),
                        within(0.1 * exits.get("expected").asDouble()));
        assertThat(shifts()).isZero();

        int sent = 2000;
        while (!parameters(http).has("shift") && sent < 3200) {
            send(http, sent, sent + 80, 4);
            sent += 80;
        }
        JsonNode shift = parameters(http).get("shift");
        assertThat(shift).as("seen within 1,200 moved images").isNotNull();
        assertThat(shift.get("direction").asString()).isEqualTo("deeper");
        assertThat(shift.get("live").asDouble())
                .isGreaterThan(1.1 * shift.get("expected").asDouble());
        assertThat(shifts()).isEqualTo(1);
        double verifiedAtShift = verified();

        // every answer verified now: 600 live samples since the shift are in after about 600 more
        send(http, sent, sent + 1600, 4);
        await().atMost(Duration.ofSeconds(60)).until(() -> recalibrated(http).has("balanced"));
        assertThat(verified() - verifiedAtShift)
                .as("verified since the shift, where 2 % would have been about 32")
                .isGreaterThan(500);
        JsonNode balanced = recalibrated(http).get("balanced");
        double calibrated = ShippedModel.manifest().presets().get("balanced").validationDisagreement();
        assertThat(balanced.get("manifestDisagreement").asDouble())
                .as(balanced.toString())
                .isGreaterThan(calibrated);
        assertThat(balanced.get("disagreement").asDouble()).isLessThanOrEqualTo(calibrated);
    }

    @Test
    void aRecalibratedSettingDearerThanTheFullModelIsServedInFullMode() {
        Http http = new Http(port);
        LoadedModel model = context.getBean(ModelRegistry.class)
                .find(ShippedModel.NAME, null)
                .orElseThrow();
        // what recalibration installs when only the last head keeps a patience preset's promise
        model.recalibrate(
                "fast-patience",
                new LoadedModel.Recalibrated(
                        new ExitRule.Patience(model.exitCount()), Instant.now(), 1000, 0.0, 1.14, 0.1));
        try {
            Http.Reply early = http.postJson(
                    MODEL + "/infer", ShippedModel.inferBody(0, PER_REQUEST, "{\"preset\":\"fast-patience\"}"));
            Http.Reply full =
                    http.postJson(MODEL + "/infer", ShippedModel.inferBody(0, PER_REQUEST, "{\"mode\":\"full\"}"));
            assertThat(early.status()).as(early.body()).isEqualTo(200);
            JsonNode p = early.json().get("parameters");
            assertThat(p.get("rule").asString()).isEqualTo("preset:fast-patience:full");
            assertThat(p.get("macs_fraction").asDouble()).isEqualTo(1.0);
            assertThat(ShippedModel.classes(early.json())).isEqualTo(ShippedModel.classes(full.json()));
            assertThat(recalibrated(http)
                            .get("fast-patience")
                            .get("servedInFullMode")
                            .asBoolean())
                    .isTrue();
        } finally {
            model.restore("fast-patience");
        }
        JsonNode p = http.postJson(
                        MODEL + "/infer", ShippedModel.inferBody(0, PER_REQUEST, "{\"preset\":\"fast-patience\"}"))
                .json()
                .get("parameters");
        assertThat(p.get("rule").asString()).isEqualTo("preset:fast-patience");
        assertThat(p.get("macs_fraction").asDouble()).isLessThan(1.0);
    }

    private static void send(Http http, int from, int to, int shift) {
        for (int start = from; start < to; start += PER_REQUEST) {
            Http.Reply r =
                    http.postJson(MODEL + "/infer", ShippedModel.inferBody(start % 8000, PER_REQUEST, BALANCED, shift));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    private static JsonNode parameters(Http http) {
        return http.get(MODEL).json().get("parameters");
    }

    private static JsonNode recalibrated(Http http) {
        return parameters(http).get("recalibrated");
    }

    private double shifts() {
        return meters.find("lctserve.traffic.shifts").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    private double verified() {
        return meters.find("lctserve.verified").counters().stream()
                .filter(c -> !"dropped".equals(c.getId().getTag("outcome")))
                .mapToDouble(c -> c.count())
                .sum();
    }
}
