package io.lctserve.server.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lctserve.server.it.Http;
import io.lctserve.server.it.ShippedModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The page at {@code /} in headless Chromium against the real server and the shipped model: what
 * it shows is what the V2 API answers for the same pixels and knob, the knob moves the exit, the
 * canvas draws by mouse and by keyboard, the model card and the live view show the server's own
 * numbers, and the browser logs no error. Shadow verification runs at 5 % here (the default is 1 %),
 * so that the live view's 600 fast samples fill a shadow batch of 16.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "lctserve.verification.fraction=0.05")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebPageTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path profile;

    static ChromeDriver driver;
    static JsonNode samples;

    @LocalServerPort
    int port;

    Http http;

    @BeforeAll
    static void browser() throws IOException {
        driver = HeadlessChromium.start(profile);
        // the page's samples come from the model folder (the newest version is the one it opens with)
        try (InputStream in = java.nio.file.Files.newInputStream(ShippedModel.FOLDER.resolve("samples.json"))) {
            samples = JSON.readTree(in).get("samples");
        }
    }

    @AfterAll
    static void closeBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    @BeforeEach
    void client() {
        http = new Http(port);
        driver.manage().window().setSize(new Dimension(1280, 1000));
    }

    /** Whatever a test did, the page logged no error (network failures included). */
    @AfterEach
    void noConsoleErrors() {
        List<LogEntry> errors = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .toList();
        assertThat(errors).as("browser console errors").isEmpty();
    }

    private WebDriverWait waiting() {
        return new WebDriverWait(driver, Duration.ofSeconds(20));
    }

    private void open(String query) {
        driver.get("http://localhost:" + port + "/" + query);
        waiting().until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    }

    private WebElement answer() {
        return driver.findElement(By.id("answer"));
    }

    /** Waits until the page shows an answer other than {@code previous} (null: any answer). */
    private Shown awaitAnswer(Shown previous) {
        return waiting().until(d -> {
            // one script reads all three, so that no answer arriving in between can mix into them
            List<?> seen = (List<?>) ((JavascriptExecutor) d)
                    .executeScript("const a = document.getElementById('answer').dataset;"
                            + " return a.exitStage === undefined ? null : [a.label, a.exitStage, a.macsFraction];");
            if (seen == null) {
                return null;
            }
            Shown shown =
                    new Shown((String) seen.get(0), Integer.parseInt((String) seen.get(1)), Double.parseDouble((String)
                            seen.get(2)));
            return shown.equals(previous) ? null : shown;
        });
    }

    record Shown(String label, int exitStage, double macsFraction) {}

    private static byte[] sampleBytes(int index) {
        for (JsonNode s : samples) {
            if (s.get("index").asInt() == index) {
                return Base64.getDecoder().decode(s.get("pixels").asString());
            }
        }
        throw new AssertionError("no sample " + index);
    }

    /** The V2 API's answer for test image {@code index} of the page's samples, as FP32 pixels, with this knob. */
    private Shown api(int index, String parameters) {
        byte[] bytes = sampleBytes(index);
        StringBuilder data = new StringBuilder();
        for (byte b : bytes) {
            data.append(data.isEmpty() ? "" : ",").append((b & 0xFF) / 255.0);
        }
        Http.Reply r = http.postJson(
                "/v2/models/fashion-mnist/infer",
                "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":[" + data
                        + "]}],\"parameters\":" + parameters + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode json = r.json();
        int exit = -1;
        for (JsonNode o : json.get("outputs")) {
            if (o.get("name").asString().equals("exit_stage")) {
                exit = o.get("data").get(0).asInt();
            }
        }
        return new Shown(
                json.get("parameters").get("labels").get(0).asString(),
                exit,
                json.get("parameters").get("macs_fraction").asDouble());
    }

    /** docs/BENCHMARKS.md quotes these lines of this test's output. */
    private void printPageTiming(String when) {
        Number load = (Number) ((JavascriptExecutor) driver)
                .executeScript("return performance.getEntriesByType('navigation')[0].loadEventEnd;");
        WebElement body = driver.findElement(By.tagName("body"));
        System.out.printf(
                Locale.ROOT,
                "page timing, %s: load event %.0f ms, model and samples fetched %s ms, first answer shown %s ms%n",
                when,
                load.doubleValue(),
                body.getDomAttribute("data-ready-millis"),
                body.getDomAttribute("data-first-answer-millis"));
    }

    @Test
    @Order(1) // first, so that its page timing is the browser's first, uncached load
    void aSamplesAnswerIsTheApisAnswerForTheSamePixelsAndKnob() {
        for (int index : List.of(0, 7, 31)) {
            open("?sample=" + index);
            Shown shown = awaitAnswer(null);
            if (index == 0) {
                printPageTiming("first page load after the server started, new browser");
                driver.executeCdpCommand("Network.clearBrowserCache", java.util.Map.of());
                open("?sample=0");
                awaitAnswer(null);
                printPageTiming("again, browser cache cleared");
            }

            Shown expected = api(index, "{\"mode\":\"early_exit\"}");
            assertThat(shown.label()).as("image " + index).isEqualTo(expected.label());
            assertThat(shown.exitStage()).as("image " + index).isEqualTo(expected.exitStage());
            assertThat(shown.macsFraction()).isCloseTo(expected.macsFraction(), within(1e-12));
            assertThat(driver.findElement(By.id("image-caption")).getText()).contains("Test image #" + index);
        }
        HeadlessChromium.screenshot(driver, "try-it");

        // the button a visitor uses: whichever image it picks, the page says which, and answers as the API does
        for (int i = 0; i < 3; i++) {
            Shown before = awaitAnswer(null);
            String caption = driver.findElement(By.id("image-caption")).getText();
            driver.findElement(By.id("sample")).click();
            waiting()
                    .until(d -> !d.findElement(By.id("image-caption")).getText().equals(caption));
            int index =
                    Integer.parseInt(driver.findElement(By.id("image-caption")).getDomAttribute("data-sample-index"));
            Shown expected = api(index, "{\"mode\":\"early_exit\"}");
            Shown shown = expected.equals(before) ? before : awaitAnswer(before);
            assertThat(shown).as("random image " + index).isEqualTo(expected);
        }
    }

    @Test
    void movingTheThresholdMovesTheExitAsTheApiSays() {
        int index = samplesOtherThanTheFirstHeadAt(1.0);
        open("?sample=" + index);
        Shown atDefault = awaitAnswer(null);
        WebElement slider = driver.findElement(By.id("threshold"));

        slider.sendKeys(Keys.END);
        Shown strict = awaitAnswer(atDefault);
        assertThat(new Select(driver.findElement(By.id("preset")))
                        .getFirstSelectedOption()
                        .getDomAttribute("value"))
                .isEqualTo("threshold");
        assertThat(strict).isEqualTo(api(index, "{\"threshold\":1.0}"));
        HeadlessChromium.screenshot(driver, "threshold-one");

        slider.sendKeys(Keys.HOME);
        Shown eager = awaitAnswer(strict);
        assertThat(eager).isEqualTo(api(index, "{\"threshold\":0.0}"));
        assertThat(eager.exitStage()).isZero();
        assertThat(strict.exitStage()).isGreaterThan(eager.exitStage());
        assertThat(driver.findElement(By.id("threshold-value")).getText()).isEqualTo("0.00");
    }

    @Test
    void theStreamedAnswerRefinesHeadByHeadToTheAnswerShown() {
        int index = samplesOtherThanTheFirstHeadAt(1.0);
        open("?sample=" + index);
        Shown atDefault = awaitAnswer(null);
        driver.findElement(By.id("threshold")).sendKeys(Keys.END); // threshold 1: every head is read
        Shown strict = awaitAnswer(atDefault);
        int heads = ShippedModel.manifest().stages().size();

        List<WebElement> refined = waiting().until(d -> {
            List<WebElement> items = d.findElements(By.cssSelector("#refining li"));
            return items.size() == heads && "true".equals(items.get(heads - 1).getDomAttribute("data-final"))
                    ? items
                    : null;
        });
        for (int k = 0; k < heads; k++) {
            assertThat(refined.get(k).getDomAttribute("data-stage")).isEqualTo(Integer.toString(k));
            assertThat(refined.get(k).getDomAttribute("data-final")).isEqualTo(Boolean.toString(k == heads - 1));
        }
        assertThat(refined.get(heads - 1).getDomAttribute("data-label")).isEqualTo(strict.label());
        assertThat(strict.exitStage()).isEqualTo(heads - 1);
    }

    /** A sample that no early head is certain of, so that a threshold of 1 carries it past head 0. */
    private int samplesOtherThanTheFirstHeadAt(double threshold) {
        for (JsonNode s : samples) {
            int index = s.get("index").asInt();
            if (api(index, "{\"threshold\":" + threshold + "}").exitStage() > 0) {
                return index;
            }
        }
        throw new AssertionError("every sample exits at head 0 at threshold " + threshold);
    }

    @Test
    void theModeAndMaxStageChangeWhatRunsAndWhatItCosts() {
        open("?sample=3");
        Shown first = awaitAnswer(null);
        Select mode = new Select(driver.findElement(By.id("mode")));

        mode.selectByValue("stage");
        new Select(driver.findElement(By.id("max-stage"))).selectByValue("1");
        Shown stage1 = waiting().until(d -> {
            Shown s = awaitAnswer(first);
            return s.exitStage() == 1 ? s : null;
        });
        assertThat(stage1).isEqualTo(api(3, "{\"mode\":\"stage\",\"max_stage\":1}"));

        mode.selectByValue("ensemble");
        Shown ensemble = awaitAnswer(stage1);
        assertThat(ensemble).isEqualTo(api(3, "{\"mode\":\"ensemble\"}"));
        assertThat(ensemble.macsFraction()).isGreaterThan(1.0);
        assertThat(driver.findElements(By.cssSelector("#heads .head-probs"))).hasSize(4);
        assertThat(driver.findElements(By.cssSelector("#stages .stage[data-status='averaged']")))
                .hasSize(4);
        assertThat(driver.findElement(By.id("preset")).isEnabled()).isFalse();
        HeadlessChromium.screenshot(driver, "ensemble");
    }

    @Test
    void drawingWithTheMouseGetsAnAnswer() {
        open("?sample=0");
        awaitAnswer(null);
        driver.findElement(By.id("clear")).click();
        waiting().until(d -> answer().getDomAttribute("data-exit-stage") == null);
        WebElement canvas = driver.findElement(By.id("canvas"));

        new Actions(driver)
                .moveToElement(canvas, -80, -60)
                .clickAndHold()
                .moveByOffset(160, 0)
                .moveByOffset(0, 120)
                .moveByOffset(-160, 0)
                .moveByOffset(0, -120)
                .release()
                .perform();

        Shown drawn = awaitAnswer(null);
        assertThat(ShippedModel.manifest().labels()).contains(drawn.label());
        assertThat(drawn.exitStage()).isBetween(0, 3);
        assertThat(driver.findElement(By.id("image-caption")).getText()).isEqualTo("Your drawing.");
        HeadlessChromium.screenshot(driver, "drawn");
    }

    @Test
    void aChosenImageFileIsAnsweredAsTheApiAnswersItsPixels() throws IOException {
        open("?sample=0");
        Shown first = awaitAnswer(null);
        int index = 7; // a 28x28 PNG of test image 7: scaling it to 28x28 changes nothing
        byte[] bytes = sampleBytes(index);
        java.awt.image.BufferedImage png =
                new java.awt.image.BufferedImage(28, 28, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        png.getRaster().setDataElements(0, 0, 28, 28, bytes);
        Path file = profile.resolve("coat.png");
        javax.imageio.ImageIO.write(png, "png", file.toFile());

        driver.findElement(By.id("file")).sendKeys(file.toString());

        waiting().until(d -> d.findElement(By.id("image-caption")).getText().equals("File coat.png."));
        Shown expected = api(index, "{\"mode\":\"early_exit\"}");
        Shown shown = expected.equals(first) ? first : awaitAnswer(first);
        assertThat(shown).isEqualTo(expected);
    }

    @Test
    void theKeyboardDrawsAndAsksToo() {
        open("?sample=0");
        awaitAnswer(null);
        driver.findElement(By.id("clear")).sendKeys(Keys.ENTER);
        waiting().until(d -> answer().getDomAttribute("data-exit-stage") == null);
        WebElement canvas = driver.findElement(By.id("canvas"));

        canvas.sendKeys(
                Keys.ARROW_UP, Keys.SPACE, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.SPACE, Keys.ARROW_RIGHT, Keys.SPACE);

        Shown drawn = awaitAnswer(null);
        assertThat(ShippedModel.manifest().labels()).contains(drawn.label());
        assertThat(driver.findElement(By.id("image-caption")).getText()).isEqualTo("Your drawing.");
    }

    @Test
    void theModelCardShowsEachExitsCostThePresetsAndTheCurve() {
        open("");
        WebElement card = driver.findElement(By.id("card"));

        List<WebElement> stages = card.findElements(By.cssSelector("#stage-table tbody tr"));
        assertThat(stages).hasSize(4);
        var manifest = ShippedModel.manifest();
        List<Double> headAccuracy = manifest.evaluation().headAccuracy();
        assertThat(stages.get(3).getText())
                .contains("114.0 %")
                .contains(String.format(Locale.ROOT, "%.2f %%", 100 * headAccuracy.get(3)));
        List<WebElement> presets = card.findElements(By.cssSelector("#preset-table tbody tr"));
        assertThat(presets).hasSize(manifest.presets().size());
        var balanced = manifest.presets().get("balanced");
        assertThat(presets.get(1).getText())
                .startsWith("balanced")
                .contains(String.format(Locale.ROOT, "%.2f %%", 100 * balanced.testAccuracy()))
                .contains(String.format(Locale.ROOT, "%.1f %%", 100 * balanced.meanMacsFraction()));
        assertThat(card.findElements(By.cssSelector("#curve circle"))).hasSizeGreaterThanOrEqualTo(4 + 1 + 3);
        ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", card);
        HeadlessChromium.screenshot(driver, "model-card");
    }

    @Test
    void theLiveViewFollowsTheServersMetrics() {
        open("");
        WebElement live = driver.findElement(By.id("live"));
        waiting().until(d -> live.getDomAttribute("data-answers") != null);
        long before = Long.parseLong(live.getDomAttribute("data-answers"));

        // 600 samples: about 30 of them verified (5 %), more than the 16 a verification batch gathers
        for (int i = 0; i < 60; i++) {
            http.postJson(
                    "/v2/models/fashion-mnist/infer", ShippedModel.inferBody(i * 10, 10, "{\"preset\":\"fast\"}"));
        }
        // a deadline shorter than the first stage: refused at once rather than answered late
        Http.Reply refused = http.postJson(
                "/v2/models/fashion-mnist/infer",
                ShippedModel.inferBody(600, 10, "{\"threshold\":0.999999,\"deadline_ms\":0.001}"));
        assertThat(refused.status()).isEqualTo(503);

        waiting().until(d -> Long.parseLong(live.getDomAttribute("data-answers")) >= before + 600);
        waiting().until(d -> d.findElement(By.id("live-refused")).getText().matches("[1-9]\\d*"));
        assertThat(driver.findElement(By.id("live-status")).getText()).contains("fashion-mnist");
        assertThat(driver.findElements(By.cssSelector("#live-exits .bar-row"))).hasSize(4);
        // shadow verification's live agreement, per preset, beside its calibrated share
        waiting().until(d -> !d.findElements(By.cssSelector("#live-agreement tr[data-preset='fast']"))
                .isEmpty());
        WebElement fast = driver.findElement(By.cssSelector("#live-agreement tr[data-preset='fast']"));
        assertThat(fast.findElements(By.tagName("td")).get(1).getText()).matches("[1-9]\\d*"); // verified
        assertThat(fast.findElements(By.tagName("td")).get(3).getText()).matches("\\d+\\.\\d\\d %"); // calibrated
        assertThat(driver.findElement(By.id("live-shift")).getText())
                .matches("(No traffic shift seen|Traffic moved \\().*"); // the exit profile's verdict
        ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", live);
        HeadlessChromium.screenshot(driver, "live");
    }

    @Test
    void everyControlHasALabelAndThePageFitsAPhone() {
        open("?sample=0");
        awaitAnswer(null);

        Object unlabelled = ((JavascriptExecutor) driver)
                .executeScript("return [...document.querySelectorAll('input, select, button, canvas, textarea')]"
                        + ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
                        + " && !e.textContent.trim()).map(e => e.id || e.outerHTML);");
        assertThat((List<?>) unlabelled).isEmpty();

        driver.manage().window().setSize(new Dimension(390, 844));
        Object overflow = ((JavascriptExecutor) driver)
                .executeScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
        assertThat(((Number) overflow).intValue())
                .as("horizontal overflow at phone width")
                .isLessThanOrEqualTo(0);
        HeadlessChromium.screenshot(driver, "phone");
    }
}
