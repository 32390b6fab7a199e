package io.lctserve.core.exit;

/**
 * What an exit rule sees of one head's answer for one sample: the predicted class, its
 * probability, how many heads in a row agree on it, and the entropy of the distribution. The
 * entropy is worked out when a rule first asks for it (max-softmax, the default, never does) and
 * kept, since calibration asks the same output many times.
 */
public final class HeadOutput {

    private final float[] probabilities;
    private final int offset;
    private final int classes;
    private final int predictedClass;
    private final int agreeingHeads;
    private double entropy = Double.NaN;

    private HeadOutput(float[] probabilities, int offset, int classes, int predictedClass, int agreeingHeads) {
        this.probabilities = probabilities;
        this.offset = offset;
        this.classes = classes;
        this.predictedClass = predictedClass;
        this.agreeingHeads = agreeingHeads;
    }

    /**
     * Reads a head's probabilities {@code p[offset .. offset + classes)}, which must not change
     * afterwards.
     *
     * @param previous the previous head's output for the same sample, or null at the first head run
     */
    public static HeadOutput of(float[] p, int offset, int classes, HeadOutput previous) {
        int predicted = Probabilities.argMax(p, offset, classes);
        int agreeing = previous != null && previous.predictedClass == predicted ? previous.agreeingHeads + 1 : 1;
        return new HeadOutput(p, offset, classes, predicted, agreeing);
    }

    /** The head's argmax. */
    public int predictedClass() {
        return predictedClass;
    }

    /** Its largest probability (max softmax). */
    public float confidence() {
        return probabilities[offset + predictedClass];
    }

    /** Consecutive heads, ending with this one, that predict the same class (1 or more). */
    public int agreeingHeads() {
        return agreeingHeads;
    }

    /** Entropy of the head's softmax, in nats. */
    public double entropy() {
        if (Double.isNaN(entropy)) {
            entropy = Probabilities.entropy(probabilities, offset, classes);
        }
        return entropy;
    }
}
