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
 * Shadow verification on the shipped model: clean test images sent with the balanced preset
 * disagree with the last head about as often as on the validation split; the same images moved 4
 * pixels right and 4 down (a camera mount moved) disagree several times as often, and the model's
 * metadata says the preset is above its calibration. Every sample is verified here (fraction 1) so
 * that the windows fill in seconds.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "lctserve.verification.fraction=1.0",
            "lctserve.verification.window=600",
            "lctserve.verification.recalibrate=false" // detection alone: RecalibrationTest has the rest
        })
class ShadowVerificationTest {

    private static final String INFER = "/v2/models/" + ShippedModel.NAME + "/infer";
    private static final int PER_REQUEST = 8;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    @Test
    void cleanTrafficIsAsCalibratedAndShiftedTrafficIsDetected() {
        Http http = new Http(port);

        send(http, 0, 1200, 0); // about 99 % of them leave before the last head
        JsonNode clean = awaitVerified(http, 1000);
        assertThat(clean.get("state").asString()).isEqualTo("as calibrated");
        assertThat(clean.get("disagreement").asDouble()).isLessThan(0.06);

        long before = verified(http);
        send(http, 1200, 2400, 4);
        JsonNode shifted = awaitVerified(http, before + 1000); // the window's 600 are all shifted ones
        assertThat(shifted.get("state").asString()).as(shifted.toString()).isEqualTo("above calibration");
        assertThat(shifted.get("lower").asDouble())
                .isGreaterThan(shifted.get("calibrated").asDouble());

        double counted = meters.find("lctserve.verified").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
        assertThat(counted).isGreaterThanOrEqualTo(1200);
        // answers of the last head are sampled too (the calibrated rate is over every answer): they agree
        double lastHead = meters.find("lctserve.verified").tag("stage", "3").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
        assertThat(lastHead).isPositive();
        assertThat(meters.find("lctserve.verified")
                        .tags("stage", "3", "outcome", "disagree")
                        .counters())
                .isEmpty();
        double exits = meters.find("lctserve.exits").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
        assertThat(exits).as("shadow answers are not the model's answers").isEqualTo(2400);
    }

    /** Images [from, to) with the balanced preset, each moved {@code shift} pixels right and down. */
    private static void send(Http http, int from, int to, int shift) {
        for (int start = from; start < to; start += PER_REQUEST) {
            Http.Reply r = http.postJson(
                    INFER, ShippedModel.inferBody(start, PER_REQUEST, "{\"preset\":\"balanced\"}", shift));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    private static JsonNode live(Http http) {
        for (JsonNode preset : http.get("/v2/models/" + ShippedModel.NAME)
                .json()
                .get("parameters")
                .get("live")) {
            if (preset.get("preset").asString().equals("balanced")) {
                return preset;
            }
        }
        return null;
    }

    private static long verified(Http http) {
        JsonNode live = live(http);
        return live == null ? 0 : live.get("verified").asLong();
    }

    /** The balanced preset's live numbers once {@code count} of its samples have been verified. */
    private static JsonNode awaitVerified(Http http, long count) {
        await().atMost(Duration.ofSeconds(60)).until(() -> verified(http) >= count);
        return live(http);
    }
}
