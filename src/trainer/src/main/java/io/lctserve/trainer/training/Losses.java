package io.lctserve.trainer.training;

import ai.djl.ndarray.NDArray;

/**
 * The losses of local critic training, per sample where the method needs them per sample.
 *
 * <p>Under the cascade, critic k is trained to predict the loss of the next head: {@code mean_b
 * |L_k(x_b) - L_{k+1}(x_b)|}, with {@code L_{k+1}} a fixed target (no gradient flows into it).
 */
final class Losses {

    private Losses() {}

    /** Per-sample cross-entropy {@code [B]} of logits {@code [B, classes]} against labels {@code [B]}. */
    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray oneHot = labels.oneHot((int) logits.getShape().get(1));
        return logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).neg();
    }

    /** {@code mean |criticLoss - nextLoss|}, with {@code nextLoss} detached. */
    static NDArray cascaded(NDArray criticLoss, NDArray nextLoss) {
        return criticLoss.sub(nextLoss.stopGradient()).abs().mean();
    }
}
