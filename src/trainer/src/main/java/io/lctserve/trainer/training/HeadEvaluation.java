package io.lctserve.trainer.training;

import io.lctserve.core.exit.Probabilities;

/** Accuracy of each head from its logits or probabilities ({@code [head][image * classes + class]}). */
public final class HeadEvaluation {

    private HeadEvaluation() {}

    public static double[] accuracy(float[][] scores, int[] labels) {
        double[] accuracy = new double[scores.length];
        int classes = scores[0].length / labels.length;
        for (int k = 0; k < scores.length; k++) {
            int correct = 0;
            for (int i = 0; i < labels.length; i++) {
                if (Probabilities.argMax(scores[k], i * classes, classes) == labels[i]) {
                    correct++;
                }
            }
            accuracy[k] = correct / (double) labels.length;
        }
        return accuracy;
    }
}
