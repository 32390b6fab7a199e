package io.lctserve.server.inference;

/**
 * Decides, head by head, whether a sample has its answer (early-exit mode). When no head
 * decides, the last head run answers.
 */
@FunctionalInterface
public interface ExitPolicy {

    /**
     * @param stage the head that just ran
     * @param probabilities that head's softmax output for this sample
     * @param agreeingHeads consecutive heads, ending with this one, that predict the same class (1 or more)
     */
    boolean exits(int stage, float[] probabilities, int agreeingHeads);

    /** The paper's rule: head k answers when its largest probability reaches {@code thresholds[k]}. */
    static ExitPolicy maxSoftmax(double[] thresholds) {
        double[] t = thresholds.clone();
        return (stage, p, agreeing) -> {
            float max = 0;
            for (float v : p) {
                max = Math.max(max, v);
            }
            return max >= t[stage];
        };
    }

    /** BranchyNet's rule: head k answers when the entropy of its softmax (in nats) is below {@code maxEntropy[k]}. */
    static ExitPolicy entropy(double[] maxEntropy) {
        double[] bound = maxEntropy.clone();
        return (stage, p, agreeing) -> {
            double h = 0;
            for (float v : p) {
                if (v > 0) {
                    h -= v * Math.log(v);
                }
            }
            return h < bound[stage];
        };
    }

    /** PABEE's rule: answer once {@code heads} consecutive heads agree on the class. */
    static ExitPolicy patience(int heads) {
        return (stage, p, agreeing) -> agreeing >= heads;
    }
}
