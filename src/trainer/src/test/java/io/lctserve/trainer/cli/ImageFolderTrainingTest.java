package io.lctserve.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lctserve.core.data.ImageFolders;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Preprocess;
import io.lctserve.core.model.ModelFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Training on image folders as a user with a folder of pictures would: a colour set of mixed sizes
 * and formats becomes an RGB model that records its input and resize policy, writes sample images
 * for the page, and evaluates to what its manifest says; bad data sets get one clear line each.
 */
class ImageFolderTrainingTest {

    private static final List<String> SMALL_NETWORK =
            List.of("--widths", "8,16,16", "--blocks", "1,1,1", "--critic-convs", "1,1", "--critic-channels", "8");

    @TempDir
    static Path shared;

    static Path data;
    static Path model;
    static TrainerRun training;

    @BeforeAll
    static void trainOnColourShapes() {
        data = ImageFolders.shapes(shared.resolve("shapes"), 60, 15, 24, true);
        model = shared.resolve("repo/shapes/1");
        List<String> args = new java.util.ArrayList<>(List.of(
                "train", "--output", model.toString(), "--data", data.toString(), "--epochs", "2", "--threads", "2"));
        args.addAll(SMALL_NETWORK);
        training = TrainerRun.of(args.toArray(String[]::new));
        assertThat(training.exitCode()).as(training.err()).isZero();
    }

    @Test
    void aColourFolderSetBecomesAnRgbModelThatRecordsHowPicturesBecomeItsInput() throws Exception {
        Manifest m = ModelFolder.load(model).manifest();

        assertThat(m.labels()).isEqualTo(ImageFolders.SHAPES);
        assertThat(m.input().shape()).containsExactly(-1L, 3L, 24L, 24L);
        assertThat(m.preprocess()).isEqualTo(Preprocess.forChannels(3));
        assertThat(m.evaluation().samples()).isEqualTo(60);
        assertThat(m.evaluation().dataset()).isEqualTo("shapes/test (60 images)");
        // most pictures are 24x24, every seventh is 30x36 and was resized; colour shapes, so flips are on
        assertThat(training.err())
                .contains("note: the pictures come in 2 sizes")
                .contains("image folders: 4 classes; 192 train, 48 validation (held out of train/), 60 test"
                        + " pictures as RGB 24x24");
        assertThat(m.training().get("augment")).isEqualTo("random shift up to 2 px, horizontal flip");
        @SuppressWarnings("unchecked")
        var network = (java.util.Map<String, Object>) m.training().get("network");
        assertThat((List<?>) network.get("pixelMean")).hasSize(3);
    }

    @Test
    void theModelFolderCarriesValidationImagesForThePage() throws Exception {
        JsonNode samples = JsonMapper.builder()
                .build()
                .readTree(model.resolve(ModelFolder.SAMPLES_FILE).toFile());

        assertThat(samples.get("split").asString()).isEqualTo("validation");
        assertThat(samples.get("channels").asInt()).isEqualTo(3);
        assertThat(samples.get("rows").asInt()).isEqualTo(24);
        JsonNode first = samples.get("samples").get(0);
        assertThat(java.util.Base64.getDecoder().decode(first.get("pixels").asString()))
                .hasSize(3 * 24 * 24);
        assertThat(samples.get("samples").size()).isLessThanOrEqualTo(4 * 6);
    }

    @Test
    void evaluateReadsTheFoldersWithTheManifestsPolicyAndAgreesWithIt() throws Exception {
        Manifest m = ModelFolder.load(model).manifest();

        TrainerRun r = TrainerRun.of("evaluate", "--model", model.toString(), "--data", data.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        double main = m.evaluation().headAccuracy().get(m.exitCount() - 1);
        assertThat(r.out())
                .containsPattern("head-2 +" + String.format(java.util.Locale.ROOT, "%.2f", 100 * main) + "%");
    }

    @Test
    void calibrateFindsTheSameValidationPicturesAgain() throws Exception {
        Manifest before = ModelFolder.load(model).manifest();

        TrainerRun r = TrainerRun.of("calibrate", "--model", model.toString(), "--data", data.toString());

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(ModelFolder.load(model).manifest().presets()).isEqualTo(before.presets());
    }

    @Test
    void greyFoldersGiveAGreyModelAndChannelsCanBeForced(@TempDir Path dir) throws Exception {
        Path grey = ImageFolders.fashionMnist(dir.resolve("fm"), 40, 5);
        Path out = dir.resolve("repo/fm/1");
        List<String> args = new java.util.ArrayList<>(List.of(
                "train",
                "--output",
                out.toString(),
                "--data",
                grey.toString(),
                "--epochs",
                "1",
                "--channels",
                "3",
                "--image-size",
                "32x32",
                "--validation",
                "50"));
        args.addAll(SMALL_NETWORK);

        TrainerRun r = TrainerRun.of(args.toArray(String[]::new));

        assertThat(r.exitCode()).as(r.err()).isZero();
        Manifest m = ModelFolder.load(out).manifest();
        assertThat(m.input().shape()).containsExactly(-1L, 3L, 32L, 32L);
        assertThat(m.labels()).startsWith("class-0", "class-1");
        assertThat(m.training().get("augment")).isEqualTo("random shift up to 2 px, horizontal flip");
    }

    @Test
    void badDataSetsAreOneClearLineEach(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("m/1");
        Path neither = Files.createDirectories(dir.resolve("neither"));
        assertError(r("train", "--output", out.toString(), "--data", neither.toString()))
                .contains("is neither an IDX data set")
                .contains("nor image folders (train/<class>/*, test/<class>/*)");

        Path set = ImageFolders.shapes(dir.resolve("set"), 3, 1, 12, false);
        Files.createDirectories(set.resolve("train/star"));
        assertError(r("train", "--output", out.toString(), "--data", set.toString()))
                .contains("train/star: empty class folder");
        Files.delete(set.resolve("train/star"));

        assertError(r("train", "--output", out.toString(), "--data", set.toString(), "--channels", "2"))
                .contains("--channels takes 1 (grey) or 3 (RGB), was 2");
        assertError(r("train", "--output", out.toString(), "--data", set.toString(), "--image-size", "3x3"))
                .contains("--image-size takes HxW (e.g. 64x64) or one side, each 8 to 1024, was '3x3'");
        assertError(r("train", "--output", out.toString(), "--channels", "3"))
                .contains("--channels 3: IDX images are grey (1 channel)");
        assertError(r("train", "--output", out.toString(), "--image-size", "32"))
                .contains("--image-size 32: IDX images are used at their own size, 28x28");

        Files.createDirectories(set.resolve("val/circle"));
        ImageFolders.save(ImageFolders.shape(0, 12, 12, new java.util.Random(3)), set.resolve("val/circle/0.png"));
        assertError(r("train", "--output", out.toString(), "--data", set.toString(), "--validation", "2"))
                .contains("has its own val/ folder, which is the validation split: leave --validation out");
        assertThat(out).doesNotExist();
    }

    private static TrainerRun r(String... args) {
        return TrainerRun.of(args);
    }

    private static org.assertj.core.api.AbstractStringAssert<?> assertError(TrainerRun r) {
        assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err().lines().filter(l -> l.startsWith("error: "))).hasSize(1);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        return assertThat(r.err());
    }
}
