package io.lctserve.trainer.cli;

import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Where the IDX data set lives and what its classes are called. */
final class DataOptions {

    @Option(
            names = "--data",
            paramLabel = "DIR",
            description = "IDX data directory (train-*/t10k-* files, optionally .gz). Default: ${DEFAULT-VALUE}")
    Path data = IdxDataset.FASHION_MNIST;

    @Option(
            names = "--labels",
            split = ",",
            paramLabel = "NAME",
            description = "Class names in label order. Default: Fashion-MNIST's names when the data directory"
                    + " is Fashion-MNIST, else the label numbers.")
    List<String> labels;

    /**
     * The validation split: the last {@code size} images of the training data, held out from training
     * and used for per-epoch validation and preset calibration (train and calibrate must agree).
     */
    static ImageSet validationSplit(ImageSet trainingData, int size) {
        if (size < 1 || size >= trainingData.size()) {
            throw new IllegalArgumentException("--validation must be in 1.." + (trainingData.size() - 1)
                    + " (the training data has " + trainingData.size() + " images), was " + size);
        }
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
                && data.toString().toLowerCase(java.util.Locale.ROOT).contains("fashion")) {
            return IdxDataset.FASHION_MNIST_LABELS;
        }
        List<String> numbers = new ArrayList<>();
        for (int i = 0; i < classes; i++) {
            numbers.add(Integer.toString(i));
        }
        return numbers;
    }
}
