package io.lctserve.trainer.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Defaults that follow the user's data rather than Fashion-MNIST's, and the warnings a setting earns
 * when it looks wrong for the data. Fashion-MNIST (60,000 images) gets what it always got: 5,000
 * validation images, batch 128, learning rate 0.05.
 */
final class DataFit {

    static final double VALIDATION_FRACTION = 0.1;
    static final int MIN_VALIDATION = 500;
    static final int MAX_VALIDATION = 5000;
    static final int FULL_BATCH = 128;
    static final int MIN_AUTO_BATCH = 32;
    static final int MIN_STEPS_PER_EPOCH = 100;
    static final float LEARNING_RATE_AT_FULL_BATCH = 0.05f;
    static final int FEW_STEPS = 200;

    private DataFit() {}

    /**
     * Images to hold out for validation: {@code spec} is a count ("5000"), a fraction ("0.1") or null
     * for the default (a tenth, within [500, 5000], and never more than a fifth of the data).
     */
    static int validationImages(String spec, int total) {
        int held;
        if (spec == null) {
            held = (int) Math.round(total * VALIDATION_FRACTION);
            held = Math.max(Math.min(MIN_VALIDATION, total / 5), Math.min(MAX_VALIDATION, held));
        } else if (spec.contains(".")) {
            double fraction = parse(spec);
            if (!(fraction > 0 && fraction < 1)) {
                throw new IllegalArgumentException("--validation as a fraction must be between 0 and 1, was " + spec);
            }
            held = (int) Math.round(total * fraction);
        } else {
            held = (int) parse(spec);
        }
        if (held < 1 || held >= total) {
            throw new IllegalArgumentException("--validation must leave images on both sides: 1.." + (total - 1)
                    + " of the " + total + " training images, was " + spec);
        }
        return held;
    }

    private static double parse(String spec) {
        try {
            return Double.parseDouble(spec.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "--validation takes a count (5000) or a fraction (0.1), was '" + spec + "'");
        }
    }

    /** 128, halved (not below 32) while an epoch would have fewer than 100 steps. */
    static int batchSize(int trainImages) {
        int batch = FULL_BATCH;
        while (batch > MIN_AUTO_BATCH && trainImages / batch < MIN_STEPS_PER_EPOCH) {
            batch /= 2;
        }
        return batch;
    }

    /** The learning rate scaled linearly with the batch size. */
    static float learningRate(int batchSize) {
        return LEARNING_RATE_AT_FULL_BATCH * batchSize / FULL_BATCH;
    }

    /** What looks wrong for this data: one line each. */
    static List<String> warnings(int trainImages, int validationImages, int batchSize, int epochs, int classes) {
        List<String> w = new ArrayList<>();
        if (validationImages > trainImages) {
            w.add(String.format(
                    Locale.ROOT,
                    "--validation holds out %d images, more than the %d left to train on: try --validation 0.1",
                    validationImages,
                    trainImages));
        }
        if (validationImages < MIN_VALIDATION) {
            w.add("presets are calibrated on only " + validationImages
                    + " validation images: their accuracy promises will be loose");
        }
        long steps = (long) (trainImages / batchSize) * epochs;
        if (steps < FEW_STEPS) {
            w.add("only " + steps + " optimizer steps in all (" + epochs + " epochs of " + trainImages / batchSize
                    + " batches of " + batchSize + "): consider more --epochs");
        }
        if (trainImages < 10L * classes) {
            w.add(trainImages + " training images for " + classes + " classes: too few to learn from");
        }
        return w;
    }
}
