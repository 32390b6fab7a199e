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
        assertThat(mode.err()).contains("unknown training mode 'magic' (expected lct, joint or backprop)");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option: '--output=DIR'");
    }

    @Test
    void badTrainingChoicesAreOneLineErrorsThatWriteNothing(@TempDir Path dir) {
        Path output = dir.resolve("m/1");
        TrainerRun loss = TrainerRun.of("train", "--output", output.toString(), "--critic-loss", "magic");
        TrainerRun oneStage = TrainerRun.of(
                "train", "--output", output.toString(), "--mode", "lct", "--submodel", "0", "--pipeline", "on");
        TrainerRun joint = TrainerRun.of("train", "--output", output.toString(), "--mode", "joint", "--pipeline", "2");
        TrainerRun tooMany = TrainerRun.of("train", "--output", output.toString(), "--pipeline", "9");
        TrainerRun unknown = TrainerRun.of("train", "--output", output.toString(), "--pipeline", "fast");
        TrainerRun augment = TrainerRun.of("train", "--output", output.toString(), "--augment", "rotate");
        TrainerRun validation = TrainerRun.of("train", "--output", output.toString(), "--validation", "1.5");
        TrainerRun resume = TrainerRun.of("train", "--output", output.toString(), "--epochs", "1", "--resume");

        assertThat(loss.err()).isEqualTo("error: unknown critic loss 'magic' (expected cascade, ce or hybrid)\n");
        assertThat(oneStage.err())
                .isEqualTo("error: --pipeline on needs a network of at least 2 stages; this one has 1\n");
        assertThat(joint.err()).startsWith("error: --pipeline 2 needs --mode lct: under --mode joint");
        assertThat(tooMany.err()).startsWith("error: --pipeline 9: workers must be 1..4");
        assertThat(unknown.err()).isEqualTo("error: --pipeline takes auto, on, off or a worker count, was 'fast'\n");
        assertThat(augment.err()).startsWith("error: unknown augmentation 'rotate'");
        assertThat(validation.err()).startsWith("error: --validation as a fraction must be between 0 and 1");
        assertThat(resume.err()).startsWith("error: --resume: ").contains("checkpoint.lct does not exist");
        for (TrainerRun r : new TrainerRun[] {loss, oneStage, joint, tooMany, unknown, augment, validation, resume}) {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.err().lines()).hasSize(1);
        }
        assertThat(dir.resolve("m")).doesNotExist();
    }

    @Test
    void testImagesOfAnotherSizeAreAClearErrorThatWritesNothing(@TempDir Path dir) throws IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        idx(data.resolve("train-images-idx3-ubyte"), 0x803, 20, 28, new byte[20 * 28 * 28]);
        idx(data.resolve("train-labels-idx1-ubyte"), 0x801, 20, 0, new byte[20]);
        idx(data.resolve("t10k-images-idx3-ubyte"), 0x803, 5, 20, new byte[5 * 20 * 20]);
        idx(data.resolve("t10k-labels-idx1-ubyte"), 0x801, 5, 0, new byte[5]);

        TrainerRun r = TrainerRun.of(
                "train", "--output", dir.resolve("m/1").toString(), "--data", data.toString(), "--validation", "5");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("error: the test images are 20x20 but the training images are 28x28\n");
        assertThat(dir.resolve("m")).doesNotExist();
    }

    /** An IDX file of {@code count} items, each {@code side}x{@code side} (images) or one byte (labels, side 0). */
    private static void idx(Path file, int magic, int count, int side, byte[] body) throws IOException {
        try (var out = new java.io.DataOutputStream(Files.newOutputStream(file))) {
            out.writeInt(magic);
            out.writeInt(count);
            if (side > 0) {
                out.writeInt(side);
                out.writeInt(side);
            }
            out.write(body);
        }
    }

    @Test
    void helpListsTheCommands() {
        TrainerRun help = TrainerRun.of("--help");

        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("train").contains("evaluate").contains("record-baseline");
    }
}
