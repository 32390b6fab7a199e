package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lctserve.core.data.ImageFolderDataset;
import io.lctserve.core.data.ImageFolders;
import io.lctserve.core.data.Pictures;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.server.web.HeadlessChromium;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * From a folder of colour pictures to a served answer, as a user goes: the trainer's jar trains an
 * RGB model on image folders (pictures of two sizes, PNG and JPEG), the server serves it, and every
 * test picture uploaded to {@code /v1 classify} gets the answer the V2 API gives its pixels read as
 * training and {@code evaluate} read them; in full mode, as many uploads are right as the manifest's
 * evaluation says. Needs the trainer's jar, which the build makes before the server's.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class FolderToServedAnswerIT {

    static final Path ROOT = tempRoot();
    static final Path DATA = ROOT.resolve("shapes");
    static final Path REPOSITORY = ROOT.resolve("repo");
    static final Path MODEL = REPOSITORY.resolve("shapes/1");

    @LocalServerPort
    int port;

    Http http;

    @DynamicPropertySource
    static void trainedRepository(DynamicPropertyRegistry registry) {
        train();
        registry.add("lctserve.model-repository", REPOSITORY::toString);
    }

    private static Path tempRoot() {
        try {
            return Files.createTempDirectory("lctserve-folder-it");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized void train() {
        if (Files.exists(MODEL.resolve(ModelFolder.MANIFEST_FILE))) {
            return;
        }
        ImageFolders.shapes(DATA, 60, 10, 24, true);
        Path jar = Path.of("src/trainer/target/lctserve-trainer.jar");
        assertThat(jar)
                .as("the trainer's jar (the build makes it before the server's)")
                .exists();
        List<String> command = new ArrayList<>(List.of(
                "java", "-jar", jar.toString(), "train", "--output", MODEL.toString(), "--data", DATA.toString()));
        command.addAll(List.of("--epochs", "2", "--widths", "8,16,16", "--blocks", "1,1,1", "--critic-convs", "1,1"));
        try {
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ROOT.resolve("train.log").toFile())
                    .start();
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("training finished").isTrue();
            assertThat(p.exitValue())
                    .as(Files.readString(ROOT.resolve("train.log")))
                    .isZero();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    @Test
    void everyUploadedTestPictureIsAnsweredAsEvaluateReadsIt() throws Exception {
        Manifest manifest = ModelFolder.load(MODEL).manifest();
        assertThat(manifest.input().shape()).containsExactly(-1L, 3L, 24L, 24L);
        ImageFolderDataset.Split test = ImageFolderDataset.scan(DATA).test();
        int right = 0;
        for (int i = 0; i < test.size(); i++) {
            Path file = test.files().get(i);
            JsonNode upload = upload(file).json();
            JsonNode v2 = http.postJson("/v2/models/shapes/infer", v2Body(file)).json();

            int uploaded = upload.get("classIndex").asInt();
            assertThat(uploaded)
                    .as(file.toString())
                    .isEqualTo(output(v2, "class").get(0).asInt());
            assertThat(upload.get("confidence").asDouble())
                    .as(file.toString())
                    .isCloseTo(output(v2, "confidence").get(0).asDouble(), org.assertj.core.data.Offset.offset(1e-6));
            right += uploaded == test.labels()[i] ? 1 : 0;
        }
        double mainHead = manifest.evaluation().headAccuracy().get(manifest.exitCount() - 1);
        assertThat(right).isEqualTo((int) Math.round(mainHead * test.size()));
    }

    @Test
    void thePageGetsTheModelsOwnSamplesAndConvertsPicturesAsTraining() throws Exception {
        JsonNode samples = http.get("/v1/models/shapes/samples").json();
        assertThat(samples.get("channels").asInt()).isEqualTo(3);
        assertThat(samples.get("samples").size()).isPositive();

        Path odd = ImageFolderDataset.scan(DATA).test().files().stream()
                .filter(f -> f.getFileName().toString().equals("6.png"))
                .findFirst()
                .orElseThrow(); // every seventh picture is 36x30: resized and cut
        JsonNode input = multipart("/v1/models/shapes/input", odd).json();
        byte[] expected = Pictures.toInput(Pictures.decode(odd, 1 << 20), 3, 24, 24);
        assertThat(java.util.Base64.getDecoder().decode(input.get("pixels").asString()))
                .isEqualTo(expected);
    }

    @Test
    void thePageShowsTheColourModelsOwnPicturesInColourAndItsAnswer(@TempDir Path profile) throws Exception {
        JsonNode sample =
                http.get("/v1/models/shapes/samples").json().get("samples").get(1);
        byte[] bytes = java.util.Base64.getDecoder().decode(sample.get("pixels").asString());
        ChromeDriver driver = HeadlessChromium.start(profile);
        try {
            driver.get("http://localhost:" + port + "/?sample="
                    + sample.get("index").asInt());
            WebDriverWait waiting = new WebDriverWait(driver, Duration.ofSeconds(30));
            waiting.until(d -> d.findElement(By.id("answer")).getDomAttribute("data-exit-stage") != null);

            assertThat(driver.findElement(By.id("image-caption")).getText())
                    .isEqualTo("Validation image #" + sample.get("index").asInt() + ", labelled \""
                            + ImageFolders.SHAPES.get(sample.get("label").asInt()) + "\".");
            // every 24x24 input pixel is a block of the canvas, in the sample's own colour
            for (int[] at : new int[][] {{0, 0}, {12, 12}, {5, 17}, {23, 23}}) {
                List<?> rgba = (List<?>) ((JavascriptExecutor) driver)
                        .executeScript(
                                "const c = document.getElementById('canvas'); const s = c.width / 24;"
                                        + " return Array.from(c.getContext('2d').getImageData(arguments[0] * s + 1,"
                                        + " arguments[1] * s + 1, 1, 1).data);",
                                at[0],
                                at[1]);
                int i = at[1] * 24 + at[0];
                assertThat(List.of(
                                ((Number) rgba.get(0)).intValue(),
                                ((Number) rgba.get(1)).intValue(),
                                ((Number) rgba.get(2)).intValue()))
                        .as("pixel " + at[0] + "," + at[1])
                        .containsExactly(bytes[i] & 0xFF, bytes[576 + i] & 0xFF, bytes[1152 + i] & 0xFF);
            }
            StringBuilder data = new StringBuilder();
            for (byte b : bytes) {
                data.append(data.isEmpty() ? "" : ",").append(b & 0xFF);
            }
            JsonNode v2 = http.postJson(
                            "/v2/models/shapes/infer",
                            "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,3,24,24],\"datatype\":\"UINT8\","
                                    + "\"data\":[" + data + "]}]}")
                    .json();
            String label = ImageFolders.SHAPES.get(output(v2, "class").get(0).asInt());
            assertThat(driver.findElement(By.id("answer")).getDomAttribute("data-label"))
                    .isEqualTo(label);
        } finally {
            driver.quit();
        }
    }

    private Http.Reply upload(Path file) throws IOException {
        return multipart("/v1/models/shapes/classify?mode=full", file);
    }

    private Http.Reply multipart(String path, Path file) throws IOException {
        String boundary = "lctserve-folder-it";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\""
                        + file.getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .getBytes());
        body.write(Files.readAllBytes(file));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes());
        Http.Reply r = http.post(
                path,
                "multipart/form-data; boundary=" + boundary,
                HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r;
    }

    /** The picture as the trainer reads it, sent as UINT8 bytes through V2 in full mode. */
    private static String v2Body(Path file) throws IOException {
        byte[] pixels = Pictures.toInput(Pictures.decode(file, 1 << 20), 3, 24, 24);
        StringBuilder data = new StringBuilder();
        for (byte b : pixels) {
            data.append(data.isEmpty() ? "" : ",").append(b & 0xFF);
        }
        return "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,3,24,24],\"datatype\":\"UINT8\",\"data\":[" + data
                + "]}],\"parameters\":{\"mode\":\"full\"}}";
    }

    private static JsonNode output(JsonNode answer, String name) {
        for (JsonNode o : answer.get("outputs")) {
            if (o.get("name").asString().equals(name)) {
                return o.get("data");
            }
        }
        throw new AssertionError("no output " + name + " in " + answer);
    }
}
