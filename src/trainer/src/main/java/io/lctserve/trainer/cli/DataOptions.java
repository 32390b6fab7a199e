package io.lctserve.trainer.cli;

import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageFolderDataset;
import io.lctserve.core.data.ImageFolderDataset.Layout;
import io.lctserve.core.data.ImageFolderDataset.Split;
import io.lctserve.core.data.ImageFolderReader;
import io.lctserve.core.data.ImageFolderReader.Decoded;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Preprocess;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * Where the data set lives, in which of the two layouts, and what its classes are called: IDX files
 * ({@code train-*}/{@code t10k-*}, grey) or image folders ({@code train/<class>/},
 * {@code test/<class>/}, optional {@code val/<class>/}; PNG and JPEG, any size, grey or colour),
 * read at a model's input shape with the manifest's {@link Preprocess} policy.
 */
final class DataOptions {

    @Option(
            names = "--data",
            paramLabel = "DIR",
            description = "The data set: IDX files (train-*/t10k-*, optionally .gz) or image folders"
                    + " (DIR/train/<class>/*, DIR/test/<class>/*, optional DIR/val/<class>/*; PNG or JPEG)."
                    + " Default: ${DEFAULT-VALUE}")
    Path data = IdxDataset.FASHION_MNIST;

    @Option(
            names = "--labels",
            split = ",",
            paramLabel = "NAME",
            description = "Class names in label order. Default: the class folders' names; for IDX, Fashion-MNIST's"
                    + " names when the data directory is Fashion-MNIST, else the label numbers.")
    List<String> labels;

    /** Which layout {@code --data} has; says so clearly when it has neither. */
    boolean imageFolders() throws IOException {
        if (!Files.isDirectory(data)) {
            throw new NoSuchFileException(data.toString(), null, "data directory does not exist");
        }
        if (IdxDataset.isIdx(data)) {
            return false;
        }
        if (ImageFolderDataset.isImageFolders(data)) {
            return true;
        }
        throw new IllegalArgumentException(data + " is neither an IDX data set (train-images-idx3-ubyte[.gz],"
                + " t10k-images-idx3-ubyte[.gz], ...) nor image folders (train/<class>/*, test/<class>/*)");
    }

    /** The images {@code --data} names the test set by, for the manifest's evaluation.dataset. */
    String testName(int images) throws IOException {
        String dir = String.valueOf(data.toAbsolutePath().normalize().getFileName());
        return dir + (imageFolders() ? "/" + ImageFolderDataset.TEST : "/t10k") + " (" + images + " images)";
    }

    /** The test images at the model's input shape (the first {@code limit}, 0 = all). */
    ImageSet test(Manifest model, int limit, PrintWriter err) throws IOException {
        if (!imageFolders()) {
            ImageSet test = IdxDataset.test(data);
            requireShape(test, model);
            return limit > 0 && limit < test.size() ? test.slice(0, limit) : test;
        }
        Layout layout = scan(model);
        Split test = layout.test();
        return decode(limit > 0 && limit < test.size() ? test.slice(0, limit) : test, model, err);
    }

    /**
     * The validation images a model was calibrated on: {@code val/} when the folders have one, else
     * the last {@code held} images of the training data (IDX in file order, folders in their fixed shuffle).
     */
    ImageSet validation(Manifest model, int held, PrintWriter err) throws IOException {
        if (!imageFolders()) {
            ImageSet all = IdxDataset.train(data);
            requireShape(all, model);
            return validationSplit(all, held);
        }
        Layout layout = scan(model);
        if (layout.validation() != null) {
            return decode(layout.validation(), model, err);
        }
        Split train = layout.train();
        requireHeld(held, train.size());
        return decode(
                train.slice(train.size() - held, train.size()).named("validation (held out of train)"), model, err);
    }

    private Layout scan(Manifest model) throws IOException {
        Layout layout = ImageFolderDataset.scan(data);
        if (layout.classes().size() != model.labels().size()) {
            throw new IllegalArgumentException(data + " has " + layout.classes().size() + " classes " + layout.classes()
                    + " but model " + model.name() + " knows " + model.labels().size());
        }
        return layout;
    }

    private ImageSet decode(Split split, Manifest model, PrintWriter err) throws IOException {
        List<Long> shape = model.input().shape();
        Decoded decoded = ImageFolderReader.decode(
                split,
                shape.get(1).intValue(),
                shape.get(2).intValue(),
                shape.get(3).intValue(),
                Runtime.getRuntime().availableProcessors(),
                new PictureProgress(err));
        reportSkipped(decoded, split, err);
        return decoded.images();
    }

    static void reportSkipped(Decoded decoded, Split split, PrintWriter err) {
        if (!decoded.skipped().isEmpty()) {
            List<String> named =
                    decoded.skipped().subList(0, Math.min(3, decoded.skipped().size()));
            err.printf(
                    Locale.ROOT,
                    "warning: skipped %d unreadable picture(s) of %d in %s: %s%n",
                    decoded.skipped().size(),
                    split.size(),
                    split.name().contains(" ") ? split.name() : split.name() + "/",
                    String.join("; ", named) + (decoded.skipped().size() > named.size() ? "; ..." : ""));
            err.flush();
        }
    }

    private static void requireShape(ImageSet images, Manifest model) {
        List<Long> shape = model.input().shape();
        if (shape.get(1) != images.channels() || shape.get(2) != images.rows() || shape.get(3) != images.cols()) {
            throw new IllegalArgumentException("the IDX images are " + images.describeShape() + " but model "
                    + model.name() + " takes " + shape.get(1) + "x" + shape.get(2) + "x" + shape.get(3));
        }
    }

    private static void requireHeld(int size, int total) {
        if (size < 1 || size >= total) {
            throw new IllegalArgumentException("--validation must be in 1.." + (total - 1) + " (the training data has "
                    + total + " images), was " + size);
        }
    }

    /**
     * The validation split: the last {@code size} images of the training data, held out from training
     * and used for per-epoch validation and preset calibration (train and calibrate must agree).
     */
    static ImageSet validationSplit(ImageSet trainingData, int size) {
        requireHeld(size, trainingData.size());
        return trainingData.slice(trainingData.size() - size, trainingData.size());
    }

    List<String> labelsFor(int classes) {
        if (labels != null) {
            if (labels.size() != classes) {
                throw new IllegalArgumentException(
                        "--labels names " + labels.size() + " classes but the data has " + classes);
            }
            return labels;
        }
        if (classes == IdxDataset.FASHION_MNIST_LABELS.size()
                && data.toString().toLowerCase(Locale.ROOT).contains("fashion")) {
            return IdxDataset.FASHION_MNIST_LABELS;
        }
        List<String> numbers = new ArrayList<>();
        for (int i = 0; i < classes; i++) {
            numbers.add(Integer.toString(i));
        }
        return numbers;
    }
}
