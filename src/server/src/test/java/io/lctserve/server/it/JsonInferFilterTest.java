package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A unary JSON infer call is answered by the filter that skips Spring MVC's dispatch; the same body
 * with a charset the filter leaves alone ({@code US-ASCII}, which JSON in ASCII reads the same in)
 * goes through the controller. Answers and errors must be byte for byte the same both ways, and the
 * filter's calls must be counted under the route in the HTTP metrics, as the controller's are.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class JsonInferFilterTest {

    private static final String INFER = "/v2/models/fashion-mnist/infer";
    private static final String THROUGH_THE_CONTROLLER = "application/json;charset=US-ASCII";

    @LocalServerPort
    int port;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    static Stream<Arguments> bodies() {
        String one = ShippedModel.inferBody(3, 1, "{\"preset\":\"fast\"}");
        return Stream.of(
                Arguments.of("one image, fast", INFER, one),
                Arguments.of(
                        "three images, full, with an id",
                        INFER,
                        ShippedModel.inferBody(5, 3, "{\"mode\":\"full\"}").replaceFirst("\\{", "{\"id\":\"r-7\",")),
                Arguments.of("a version named", "/v2/models/fashion-mnist/versions/4/infer", one),
                Arguments.of("binary outputs", INFER, ShippedModel.inferBody(0, 1, "{\"binary_data_output\":true}")),
                Arguments.of(
                        "one output asked for",
                        INFER,
                        one.replace("\"parameters\"", "\"outputs\":[{\"name\":\"class\"}],\"parameters\"")),
                Arguments.of("an unknown model", "/v2/models/no-such-model/infer", one),
                Arguments.of("JSON null", INFER, "null"),
                Arguments.of("cut short", INFER, one.substring(0, 100)),
                Arguments.of("a key twice", INFER, "{\"inputs\":[],\"inputs\":[]}"),
                Arguments.of(
                        "data that does not fill the shape",
                        INFER,
                        "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":[1,2]}]}"),
                Arguments.of(
                        "a string among the numbers",
                        INFER,
                        "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,\"x\"]}]}"),
                Arguments.of("an unknown preset", INFER, one.replace("\"fast\"", "\"fastest\"")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bodies")
    void theFilterAnswersAsTheControllerDoes(String what, String path, String body) {
        Http.Reply filtered = http.postJson(path, body);
        Http.Reply controlled = http.post(path, THROUGH_THE_CONTROLLER, HttpRequest.BodyPublishers.ofString(body));
        assertThat(filtered.status()).as(what).isEqualTo(controlled.status());
        assertThat(filtered.body()).as(what).isEqualTo(controlled.body());
    }

    @Test
    void itsCallsAreCountedUnderTheRoute() {
        String route = "uri=\"/v2/models/{name}/infer\"";
        long before = count(route);
        for (int i = 0; i < 3; i++) {
            assertThat(http.postJson(INFER, ShippedModel.inferBody(i, 1, null)).status())
                    .isEqualTo(200);
        }
        assertThat(count(route)).isEqualTo(before + 3);
    }

    /** http_server_requests_seconds_count of successful POSTs whose labels include {@code label}. */
    private long count(String label) {
        return http.get("/actuator/prometheus")
                .body()
                .lines()
                .filter(l -> l.startsWith("http_server_requests_seconds_count{")
                        && l.contains(label)
                        && l.contains("method=\"POST\"")
                        && l.contains("status=\"200\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
