package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Shadow work goes first when the server is busy: every sample is picked for verification here, but
 * at most 16 may be under verification at once (one shadow batch), so under 8 concurrent clients most
 * picked samples are dropped and counted; every request is still answered, and every picked sample
 * ends as agreed, disagreed or dropped, none lost.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "lctserve.verification.fraction=1.0",
            "lctserve.verification.max-outstanding=16",
            "lctserve.verification.recalibrate=false"
        })
class ShadowUnderLoadTest {

    private static final String INFER = "/v2/models/" + ShippedModel.NAME + "/infer";
    private static final int CLIENTS = 8;
    private static final int REQUESTS = 40;
    private static final int PER_REQUEST = 8;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    @Test
    void shadowSamplesBeyondTheLimitAreDroppedAndCountedWhileEveryRequestIsAnswered() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                done.add(clients.submit(() -> {
                    Http http = new Http(port);
                    for (int r = 0; r < REQUESTS; r++) {
                        int start = (client * REQUESTS + r) * PER_REQUEST % 8000;
                        Http.Reply reply = http.postJson(
                                INFER, ShippedModel.inferBody(start, PER_REQUEST, "{\"preset\":\"balanced\"}"));
                        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            clients.shutdownNow();
        }
        int samples = CLIENTS * REQUESTS * PER_REQUEST;
        // shadow batches still running finish; a batch gathered only in part (fewer than the 16 a batch
        // takes) waits for more samples, uncounted
        await().atMost(Duration.ofSeconds(30)).until(() -> count(null) > samples - 16);
        assertThat(count("dropped")).as("dropped under load").isPositive();
        assertThat(count("agree") + count("disagree")).as("verified").isPositive();
        assertThat(count(null)).isLessThanOrEqualTo(samples);
    }

    /** lctserve.verified, of one outcome or (null) all. */
    private double count(String outcome) {
        return meters.find("lctserve.verified").counters().stream()
                .filter(c -> outcome == null || outcome.equals(c.getId().getTag("outcome")))
                .mapToDouble(c -> c.count())
                .sum();
    }
}
