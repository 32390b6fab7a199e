package io.lctserve.server.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.logging.Level;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's Chromium and ChromeDriver, headless, for the page's tests. Where they are missing the
 * tests stop with a message saying how to install them; CI (.ci/run) installs them and sets
 * {@code LCTSERVE_BROWSER_TESTS=required}, so there a missing browser fails the build instead.
 */
public final class HeadlessChromium {

    static final Path CHROMIUM = Path.of(System.getProperty("lctserve.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("lctserve.chromedriver", "/usr/bin/chromedriver"));

    private HeadlessChromium() {}

    public static ChromeDriver start(Path profile) {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String why = "the page's browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
                + " (apt-get install chromium chromium-driver)";
        if (!present) {
            if ("required".equals(System.getenv("LCTSERVE_BROWSER_TESTS"))) {
                Assertions.fail(why);
            }
            Assumptions.abort(why);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // The flags that keep Chromium off the network this machine does not have, and out of a GPU.
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--window-size=1280,1000");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    /**
     * Saves what the browser shows as {@code target/screenshots/<name>.png}, and into the folder
     * named by {@code -Dlctserve.screenshots=DIR} when given (docs/images for the README).
     */
    static void screenshot(ChromeDriver driver, String name) {
        Path png = driver.getScreenshotAs(OutputType.FILE).toPath();
        try {
            copy(png, Path.of("src/server/target/screenshots"), name);
            String extra = System.getProperty("lctserve.screenshots");
            if (extra != null && !extra.isBlank()) {
                copy(png, Path.of(extra), name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(Path png, Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Files.copy(png, dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
