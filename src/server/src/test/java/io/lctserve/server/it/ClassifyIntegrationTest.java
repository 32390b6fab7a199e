package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.Mode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/** {@code POST /v1/models/{name}/classify}, the endpoint for people, with real test images. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ClassifyIntegrationTest {

    @LocalServerPort
    int port;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    @Test
    void classifyTakesAPngAndReportsEveryHeadAndTiming() throws Exception {
        int index = 0;
        BufferedImage png = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = ShippedModel.testImages().pixels()[index * 784 + y * 28 + x] & 0xFF;
                png.getRaster().setSample(x, y, 0, v);
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(png, "png", bytes);
        String boundary = "lctserve-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"shoe.png\"\r\n"
                        + "Content-Type: image/png\r\n\r\n")
                .getBytes());
        body.write(bytes.toByteArray());
        body.write(("\r\n--" + boundary + "--\r\n").getBytes());

        Http.Reply r = http.post(
                "/v1/models/" + ShippedModel.NAME + "/classify?threshold=0.999",
                "multipart/form-data; boundary=" + boundary,
                HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode json = r.json();
        String expected =
                ShippedModel.manifest().labels().get(ShippedModel.testImages().labels()[index]);
        assertThat(json.get("label").asString()).isEqualTo(expected);
        int exit = json.get("exitStage").asInt();
        assertThat(json.get("heads")).hasSize(exit + 1);
        for (int k = 0; k <= exit; k++) {
            assertThat(json.get("heads").get(k).get("stage").asInt()).isEqualTo(k);
        }
        assertThat(json.get("heads").get(0).get("probabilities")).hasSize(10);
        assertThat(json.get("stageMillis")).hasSize(exit + 1);
        assertThat(json.get("macsFraction").asDouble())
                .isCloseTo(
                        ComputeCost.of(ShippedModel.manifest()).fraction(Mode.EARLY_EXIT, exit),
                        org.assertj.core.data.Offset.offset(1e-12));
        assertThat(json.get("rule").asString()).isEqualTo("threshold:0.999");
    }

    @Test
    void classifyTakesJsonPixels() {
        StringBuilder pixels = new StringBuilder("[");
        for (int i = 0; i < 784; i++) {
            pixels.append(i == 0 ? "" : ",").append((ShippedModel.testImages().pixels()[784 + i] & 0xFF) / 255.0);
        }
        pixels.append(']');

        Http.Reply r = http.postJson(
                "/v1/models/" + ShippedModel.NAME + "/classify",
                "{\"pixels\":" + pixels + ",\"parameters\":{\"mode\":\"ensemble\"}}");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("heads")).hasSize(ShippedModel.manifest().exitCount());
        assertThat(r.json().get("rule").asString()).isEqualTo("ensemble");
    }
}
