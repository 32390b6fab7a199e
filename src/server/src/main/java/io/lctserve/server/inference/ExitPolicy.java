package io.lctserve.server.inference;

/** Decides, head by head, whether a sample has its answer (early-exit mode). */
@FunctionalInterface
public interface ExitPolicy {

    /**
     * @param stage the head that just ran
     * @param probabilities softmax output of that head for the whole batch
     * @param offset where this sample's probabilities start
     * @param classes number of classes
     */
    boolean exits(int stage, float[] probabilities, int offset, int classes);

    /** The paper's rule: head k answers when its largest probability reaches {@code thresholds[k]}. */
    static ExitPolicy maxSoftmax(double[] thresholds) {
        double[] t = thresholds.clone();
        return (stage, p, offset, classes) -> {
            float max = 0;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, p[offset + c]);
            }
            return max >= t[stage];
        };
    }
}
