package io.lctserve.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's answers to a careless user: a one-line message naming the problem and exit status 2. */
class TrainerCliErrorsTest {

    @Test
    void missingDataDirectoryIsAClearError(@TempDir Path dir) {
        TrainerRun r = TrainerRun.of(
                "train",
                "--output",
                dir.resolve("m/1").toString(),
                "--data",
                dir.resolve("nowhere").toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: ").contains("nowhere").contains("data directory does not exist");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void malformedIdxFileIsAClearError(@TempDir Path dir) throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        try (var gz = new GZIPOutputStream(Files.newOutputStream(data.resolve("train-images-idx3-ubyte.gz")))) {
            gz.write(new byte[] {0, 0, 8, 1, 0, 0, 0, 1});
        }
        Files.write(data.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 3});

        TrainerRun r = TrainerRun.of("train", "--output", dir.resolve("m/1").toString(), "--data", data.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err())
                .contains("malformed IDX file")
                .contains("train-images-idx3-ubyte.gz")
                .contains("magic number 0x00000801, expected 0x00000803");
    }

    @Test
    void truncatedIdxFileIsAClearError(@TempDir Path dir) throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.write(
                data.resolve("train-images-idx3-ubyte"),
                new byte[] {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2});
        Files.write(data.resolve("train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3, 4, 5});

        TrainerRun r = TrainerRun.of("train", "--output", dir.resolve("m/1").toString(), "--data", data.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("file ends early");
    }

    @Test
    void unwritableOutputIsAClearError(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");

        TrainerRun r = TrainerRun.of("train", "--output", file.resolve("m/1").toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: ").contains("plain-file");
    }

    @Test
    void unknownModeAndMissingOptionAreUsageErrors(@TempDir Path dir) {
        TrainerRun mode = TrainerRun.of("train", "--output", dir.resolve("m/1").toString(), "--mode", "magic");
        TrainerRun missing = TrainerRun.of("train");

        assertThat(mode.exitCode()).isEqualTo(2);
        assertThat(mode.err()).contains("unknown training mode 'magic' (expected lct or backprop)");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option: '--output=DIR'");
    }

    @Test
    void helpListsTheCommands() {
        TrainerRun help = TrainerRun.of("--help");

        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("train").contains("evaluate").contains("record-baseline");
    }
}
