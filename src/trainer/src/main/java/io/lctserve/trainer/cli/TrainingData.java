package io.lctserve.trainer.cli;

import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageFolderDataset;
import io.lctserve.core.data.ImageFolderDataset.Layout;
import io.lctserve.core.data.ImageFolderDataset.Split;
import io.lctserve.core.data.ImageFolderReader;
import io.lctserve.core.data.ImageFolderReader.Decoded;
import io.lctserve.core.data.ImageFolderReader.Survey;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Preprocess;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The images a training run reads, from either layout, at the shape the model will take.
 *
 * @param heldOut images held out of the training data for validation (0 when {@code val/} is its own folder)
 */
record TrainingData(
        ImageSet train, ImageSet validation, ImageSet test, List<String> labels, String dataset, int heldOut) {

    /** Pictures of mixed sizes are resized to this, unless most share a size of at most {@link #MAX_KEPT_SIDE}. */
    static final int DEFAULT_SIDE = 64;

    static final int MAX_KEPT_SIDE = 128;

    /** What the command line chose: validation spec, limits, input channels and size (null: from the data). */
    record Choices(String validation, int limit, int testLimit, Integer channels, String imageSize) {}

    static TrainingData load(DataOptions data, Choices choices, PrintWriter err) throws IOException {
        return data.imageFolders() ? folders(data, choices, err) : idx(data, choices);
    }

    private static TrainingData idx(DataOptions data, Choices c) throws IOException {
        ImageSet all = IdxDataset.train(data.data);
        ImageSet test = IdxDataset.test(data.data);
        if (test.rows() != all.rows() || test.cols() != all.cols()) {
            throw new IllegalArgumentException("the test images are " + test.rows() + "x" + test.cols()
                    + " but the training images are " + all.rows() + "x" + all.cols());
        }
        if (c.channels() != null && c.channels() != 1) {
            throw new IllegalArgumentException("--channels " + c.channels() + ": IDX images are grey (1 channel)");
        }
        if (c.imageSize() != null && !Arrays.equals(size(c.imageSize()), new int[] {all.rows(), all.cols()})) {
            throw new IllegalArgumentException("--image-size " + c.imageSize() + ": IDX images are used at their own"
                    + " size, " + all.rows() + "x" + all.cols() + " (image folders are resized)");
        }
        int classes = Arrays.stream(all.labels()).max().orElse(0) + 1;
        int held = DataFit.validationImages(c.validation(), all.size());
        ImageSet validation = DataOptions.validationSplit(all, held);
        int trainable = all.size() - held;
        ImageSet train = all.slice(0, c.limit() > 0 ? Math.min(c.limit(), trainable) : trainable);
        if (c.testLimit() > 0 && c.testLimit() < test.size()) {
            test = test.slice(0, c.testLimit());
        }
        return new TrainingData(train, validation, test, data.labelsFor(classes), data.testName(test.size()), held);
    }

    private static TrainingData folders(DataOptions data, Choices c, PrintWriter err) throws IOException {
        Layout layout = ImageFolderDataset.scan(data.data);
        if (layout.validation() != null && c.validation() != null) {
            throw new IllegalArgumentException("--validation cuts a split out of train/, but " + data.data
                    + " has its own val/ folder, which is the validation split: leave --validation out");
        }
        List<Split> splits = new ArrayList<>(List.of(layout.train(), layout.test()));
        if (layout.validation() != null) {
            splits.add(layout.validation());
        }
        int threads = Runtime.getRuntime().availableProcessors();
        PictureProgress progress = new PictureProgress(err);
        Survey survey = ImageFolderReader.survey(splits, threads, progress);
        int channels = channels(c.channels(), survey, err);
        int[] size = c.imageSize() != null ? size(c.imageSize()) : size(survey, err);

        Split train = layout.train();
        int held = 0;
        Split validation = layout.validation();
        if (validation == null) {
            held = DataFit.validationImages(c.validation(), train.size());
            validation = train.slice(train.size() - held, train.size()).named("validation (held out of train)");
            train = train.slice(0, train.size() - held);
        }
        if (c.limit() > 0 && c.limit() < train.size()) {
            train = train.slice(0, c.limit());
        }
        Split test = layout.test();
        if (c.testLimit() > 0 && c.testLimit() < test.size()) {
            test = test.slice(0, c.testLimit());
        }
        err.printf(
                Locale.ROOT,
                "image folders: %d classes; %,d train, %,d validation%s, %,d test pictures as %s %dx%d%n",
                layout.classes().size(),
                train.size(),
                validation.size(),
                layout.validation() != null ? " (val/)" : " (held out of train/)",
                test.size(),
                channels == 1 ? "grey" : "RGB",
                size[0],
                size[1]);
        ImageSet trainImages = decode(train, channels, size, threads, progress, err);
        ImageSet validationImages = decode(validation, channels, size, threads, progress, err);
        ImageSet testImages = decode(test, channels, size, threads, progress, err);
        // Decoding leaves the heap grown by a picture's worth of garbage per image; a full collection now
        // gives it back to the system before libtorch allocates (60,000 64x64 pictures: peak RSS in
        // docs/BENCHMARKS.md).
        System.gc();
        List<String> labels =
                data.labels != null ? data.labelsFor(layout.classes().size()) : layout.classes();
        return new TrainingData(
                trainImages, validationImages, testImages, labels, data.testName(testImages.size()), held);
    }

    private static ImageSet decode(
            Split split, int channels, int[] size, int threads, PictureProgress progress, PrintWriter err)
            throws IOException {
        Decoded decoded = ImageFolderReader.decode(split, channels, size[0], size[1], threads, progress);
        DataOptions.reportSkipped(decoded, split, err);
        return decoded.images();
    }

    /** {@code --channels}, else grey when every picture is grey, else RGB (saying so when some were grey). */
    private static int channels(Integer option, Survey survey, PrintWriter err) {
        if (option != null) {
            if (option != 1 && option != 3) {
                throw new IllegalArgumentException("--channels takes 1 (grey) or 3 (RGB), was " + option);
            }
            return option;
        }
        if (survey.colour() == 0) {
            return 1;
        }
        if (survey.grey() > 0) {
            err.printf(
                    Locale.ROOT,
                    "note: %,d pictures are grey and %,d colour: all are read as RGB (grey ones in all three planes);"
                            + " --channels 1 reads all as grey%n",
                    survey.grey(),
                    survey.colour());
        }
        return 3;
    }

    /**
     * The pictures' own size when they agree; else the size most of them share when that is at most
     * 128 on a side, else 64x64; the others are resized as {@link Preprocess} says.
     */
    private static int[] size(Survey survey, PrintWriter err) {
        Map.Entry<String, Integer> commonest = survey.commonest();
        int[] common = size(commonest.getKey());
        if (survey.sizes().size() == 1) {
            return common;
        }
        int total = survey.grey() + survey.colour();
        int[] chosen = 2 * commonest.getValue() >= total && Math.max(common[0], common[1]) <= MAX_KEPT_SIDE
                ? common
                : new int[] {DEFAULT_SIDE, DEFAULT_SIDE};
        err.printf(
                Locale.ROOT,
                "note: the pictures come in %d sizes (%,d of %,d are %s): all are resized to %dx%d (keeping the aspect"
                        + " ratio, then the centre cut out); --image-size HxW chooses another%n",
                survey.sizes().size(),
                commonest.getValue(),
                total,
                commonest.getKey(),
                chosen[0],
                chosen[1]);
        return chosen;
    }

    /** "HxW" or "N" (square), each side 8 to 1024. */
    static int[] size(String spec) {
        String[] parts = spec.trim().toLowerCase(Locale.ROOT).split("x");
        try {
            int h = Integer.parseInt(parts[0].trim());
            int w = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : h;
            if (parts.length > 2 || h < 8 || w < 8 || h > 1024 || w > 1024) {
                throw new NumberFormatException();
            }
            return new int[] {h, w};
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(
                    "--image-size takes HxW (e.g. 64x64) or one side, each 8 to 1024, was '" + spec + "'");
        }
    }
}
