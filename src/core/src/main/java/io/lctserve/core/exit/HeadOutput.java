package io.lctserve.core.exit;

/**
 * What an exit rule sees of one head's answer for one sample.
 *
 * @param predictedClass the head's argmax
 * @param confidence its largest probability (max softmax)
 * @param entropy entropy of its softmax, in nats
 * @param agreeingHeads consecutive heads, ending with this one, that predict the same class (1 or more)
 */
public record HeadOutput(int predictedClass, float confidence, double entropy, int agreeingHeads) {

    /**
     * Reads a head's probabilities {@code p[offset .. offset + classes)}.
     *
     * @param previous the previous head's output for the same sample, or null at the first head run
     */
    public static HeadOutput of(float[] p, int offset, int classes, HeadOutput previous) {
        int predicted = Probabilities.argMax(p, offset, classes);
        int agreeing = previous != null && previous.predictedClass == predicted ? previous.agreeingHeads + 1 : 1;
        return new HeadOutput(predicted, p[offset + predicted], Probabilities.entropy(p, offset, classes), agreeing);
    }
}
