package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A repository with the shipped model and a broken copy: the good one serves, readiness names the bad one. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class BrokenModelBesideGoodOneTest {

    static final Path REPOSITORY = repository();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void repository(DynamicPropertyRegistry registry) {
        registry.add("lctserve.model-repository", REPOSITORY::toString);
    }

    /** The shipped manifest as version 1's (a manifest names the version its folder is). */
    private static String asVersionOne(String manifest) {
        return manifest.replaceFirst("\"version\" : \"[0-9]+\"", "\"version\" : \"1\"");
    }

    private static Path repository() {
        try {
            Path root = Files.createTempDirectory("lctserve-repo");
            Path good = root.resolve("fashion-mnist/1");
            copy(ShippedModel.FOLDER, good);
            Files.writeString(
                    good.resolve("manifest.json"), asVersionOne(Files.readString(good.resolve("manifest.json"))));
            Path broken = root.resolve("broken/1");
            copy(ShippedModel.FOLDER, broken);
            String manifest = asVersionOne(Files.readString(broken.resolve("manifest.json")))
                    .replace("\"name\" : \"fashion-mnist\"", "\"name\" : \"broken\"");
            Files.writeString(broken.resolve("manifest.json"), manifest);
            Files.delete(broken.resolve("head-1.onnx"));
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    @Test
    void theGoodModelServesAndReadinessNamesTheBrokenOne() {
        Http http = new Http(port);

        Http.Reply readiness = http.get("/actuator/health/readiness");
        assertThat(readiness.status()).isEqualTo(200);
        assertThat(readiness
                        .json()
                        .get("components")
                        .get("models")
                        .get("details")
                        .get("failed")
                        .get("broken/1")
                        .asString())
                .contains("stages[1].head.graph")
                .contains("graph file \"head-1.onnx\" is missing");
        assertThat(readiness.body())
                .as("no server paths or disk sizes for clients")
                .doesNotContain(REPOSITORY.toString())
                .doesNotContain(REPOSITORY.toAbsolutePath().toString())
                .doesNotContain("diskSpace");
        assertThat(http.get("/actuator/health").body()).doesNotContain(REPOSITORY.toString(), "diskSpace");
        assertThat(http.get("/v2/health/ready").status()).isEqualTo(200);

        Http.Reply broken = http.get("/v2/models/broken/ready");
        assertThat(broken.status()).isEqualTo(503);
        assertThat(broken.json().get("error").asString())
                .startsWith("model broken failed to load: model folder broken/1")
                .doesNotContain(REPOSITORY.toString());

        assertThat(http.get("/v2/models/fashion-mnist/ready").status()).isEqualTo(200);
        assertThat(http.postJson("/v2/models/fashion-mnist/infer", ShippedModel.inferBody(0, 1, null))
                        .status())
                .isEqualTo(200);
    }
}
