package io.lctserve.core.manifest;

import java.util.List;

/**
 * Accuracy measured on a held-out test set that took no part in training or calibration.
 *
 * @param dataset data set name, e.g. {@code fashion-mnist/t10k}
 * @param samples number of test samples
 * @param headAccuracy accuracy of each head alone, in stage order (fractions in [0, 1])
 * @param ensembleAccuracy accuracy of the average of all heads' probabilities
 * @param backpropAccuracy main-head accuracy of the same architecture trained by plain backprop
 */
public record Evaluation(
        String dataset, long samples, List<Double> headAccuracy, Double ensembleAccuracy, Double backpropAccuracy) {

    public Evaluation {
        headAccuracy = headAccuracy == null ? null : List.copyOf(headAccuracy);
    }

    public Evaluation withBackpropAccuracy(Double accuracy) {
        return new Evaluation(dataset, samples, headAccuracy, ensembleAccuracy, accuracy);
    }
}
