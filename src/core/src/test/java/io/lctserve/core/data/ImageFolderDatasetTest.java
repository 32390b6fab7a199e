package io.lctserve.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lctserve.core.data.ImageFolderDataset.Layout;
import io.lctserve.core.data.ImageFolderReader.Decoded;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {

    @TempDir
    Path dir;

    @Test
    void fashionMnistFoldersDecodeToTheIdxBytes() throws Exception {
        ImageFolders.fashionMnist(dir, 5, 3);

        Layout layout = ImageFolderDataset.scan(dir);
        assertThat(ImageFolderDataset.isImageFolders(dir)).isTrue();
        assertThat(layout.classes()).hasSize(10).startsWith("class-0", "class-1");
        assertThat(layout.train().size()).isEqualTo(50);
        assertThat(layout.test().size()).isEqualTo(30);
        assertThat(layout.validation()).isNull();

        var survey =
                ImageFolderReader.survey(List.of(layout.train(), layout.test()), 2, ImageFolderReader.Progress.NONE);
        assertThat(survey.colour()).isZero();
        assertThat(survey.grey()).isEqualTo(80);
        assertThat(survey.sizes()).containsExactly(java.util.Map.entry("28x28", 80));

        AtomicInteger seen = new AtomicInteger();
        Decoded test = ImageFolderReader.decode(layout.test(), 1, 28, 28, 2, (step, done, total) -> seen.set(done));
        assertThat(test.skipped()).isEmpty();
        assertThat(seen.get()).isEqualTo(30);
        // PNG is lossless: those pictures are the IDX bytes they were written from
        ImageSet idx = FashionMnistSlices.test();
        for (int i = 0; i < test.images().size(); i++) {
            Path file = layout.test().files().get(i);
            if (file.toString().endsWith(".png")) {
                int index = Integer.parseInt(file.getFileName().toString().replace(".png", ""));
                assertThat(Arrays.copyOfRange(test.images().pixels(), i * 784, (i + 1) * 784))
                        .isEqualTo(Arrays.copyOfRange(idx.pixels(), index * 784, (index + 1) * 784));
                assertThat(test.images().labels()[i]).isEqualTo(idx.labels()[index]);
            }
        }
    }

    @Test
    void trainingFilesComeInAFixedMixedOrderAndValComesFromItsFolder() throws Exception {
        ImageFolders.shapes(dir, 10, 2, 16, false);
        ImageFolders.shapes(dir.resolve("val-source"), 3, 1, 16, false);
        Files.move(dir.resolve("val-source/train"), dir.resolve("val"));

        Layout first = ImageFolderDataset.scan(dir);
        Layout again = ImageFolderDataset.scan(dir);

        assertThat(first.classes()).isEqualTo(ImageFolders.SHAPES);
        assertThat(first.train().files()).isEqualTo(again.train().files());
        // shuffled: the last ten training files are not all one class, so a validation cut mixes classes
        int[] lastTen = Arrays.copyOfRange(first.train().labels(), 30, 40);
        assertThat(Arrays.stream(lastTen).distinct().count()).isGreaterThan(1);
        assertThat(first.validation().size()).isEqualTo(12);
        assertThat(first.train().slice(0, 5).named("x").size()).isEqualTo(5);
    }

    @Test
    void colourPicturesOfMixedSizesAreResizedAndCounted() throws Exception {
        ImageFolders.shapes(dir, 7, 1, 20, true);
        Layout layout = ImageFolderDataset.scan(dir);

        var survey = ImageFolderReader.survey(List.of(layout.train()), 2, ImageFolderReader.Progress.NONE);
        Decoded decoded = ImageFolderReader.decode(layout.train(), 3, 20, 20, 2, ImageFolderReader.Progress.NONE);

        assertThat(survey.colour()).isEqualTo(28);
        assertThat(survey.sizes()).containsEntry("20x20", 24).containsEntry("25x30", 4);
        assertThat(survey.commonest().getKey()).isEqualTo("20x20");
        assertThat(decoded.images().describeShape()).isEqualTo("3x20x20");
        assertThat(decoded.images().size()).isEqualTo(28);
    }

    @Test
    void unreadablePicturesAreSkippedAndNamedUpToOnePercentThenRefused() throws Exception {
        ImageFolders.shapes(dir, 60, 1, 12, false); // 240 training pictures: 2 unreadable are within 1 %
        Path bad = dir.resolve("train/circle/0.png");
        Files.write(bad, Arrays.copyOf(Files.readAllBytes(bad), 30));
        Files.writeString(dir.resolve("train/square/1.png"), "text");

        Decoded decoded = ImageFolderReader.decode(
                ImageFolderDataset.scan(dir).train(), 3, 12, 12, 2, ImageFolderReader.Progress.NONE);

        assertThat(decoded.images().size()).isEqualTo(238);
        assertThat(decoded.skipped()).hasSize(2).anyMatch(s -> s.startsWith(bad.toString()));

        Files.writeString(dir.resolve("train/square/2.png"), "text");
        Files.writeString(dir.resolve("train/square/3.png"), "text");
        assertThatThrownBy(() -> ImageFolderReader.decode(
                        ImageFolderDataset.scan(dir).train(), 3, 12, 12, 2, ImageFolderReader.Progress.NONE))
                .isInstanceOf(DataSetException.class)
                .hasMessageStartingWith("4 of the 240 pictures in train/ are unreadable (more than 1%");
    }

    @Test
    void everyBadLayoutIsRefusedNamingTheFolderOrFile() throws Exception {
        assertThatThrownBy(() -> ImageFolderDataset.scan(dir))
                .hasMessage(dir + ": image folders need both train/<class>/ and test/<class>/ (missing train/)");

        ImageFolders.shapes(dir, 2, 1, 12, false);
        Path stray = dir.resolve("train/readme.txt");
        Files.writeString(stray, "x");
        assertThatThrownBy(() -> ImageFolderDataset.scan(dir))
                .hasMessage(stray + ": a file beside the class folders; pictures go in train/<class>/");
        Files.delete(stray);

        Path notes = dir.resolve("train/circle/notes.txt");
        Files.writeString(notes, "x");
        assertThatThrownBy(() -> ImageFolderDataset.scan(dir))
                .hasMessage(notes + ": not a picture by its name (only .png, .jpg and .jpeg are read): move it out");
        Files.delete(notes);
        Files.writeString(dir.resolve("train/circle/.DS_Store"), "hidden files are ignored");

        Path empty = Files.createDirectories(dir.resolve("train/star"));
        assertThatThrownBy(() -> ImageFolderDataset.scan(dir))
                .hasMessage(empty + ": empty class folder (no .png, .jpg or .jpeg file)");
        Files.delete(empty);

        Path unknown = Files.createDirectories(dir.resolve("test/hexagon"));
        ImageFolders.save(ImageFolders.shape(0, 12, 12, new java.util.Random(1)), unknown.resolve("0.png"));
        assertThatThrownBy(() -> ImageFolderDataset.scan(dir))
                .hasMessage(unknown + ": class 'hexagon' is not among the training classes [circle, cross, square,"
                        + " triangle]");
    }

    @Test
    void aSetTooBigForTheHeapIsRefusedSayingWhatToChange() {
        assertThatThrownBy(() -> ImageFolderReader.requireMemory(3_000_000, 3, 224, 224, "train/"))
                .isInstanceOf(DataSetException.class)
                .hasMessageContaining("train/: 3,000,000 images of 3x224x224 need 420.57 GiB as bytes")
                .hasMessageContaining("use a smaller --image-size, fewer images (--limit), or more memory");
    }
}
