package io.lctserve.core.exit;

/** Softmax, argmax and entropy over rows of class scores, as the exit rules read them. */
public final class Probabilities {

    private Probabilities() {}

    /** Replaces each row of {@code classes} logits with its softmax (numerically stable). */
    public static void softmaxRows(float[] rows, int classes) {
        for (int offset = 0; offset < rows.length; offset += classes) {
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, rows[offset + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                double e = Math.exp(rows[offset + c] - max);
                rows[offset + c] = (float) e;
                sum += e;
            }
            for (int c = 0; c < classes; c++) {
                rows[offset + c] = (float) (rows[offset + c] / sum);
            }
        }
    }

    /** Index (relative to {@code offset}) of the largest of {@code values[offset .. offset + length)}; the first on ties. */
    public static int argMax(float[] values, int offset, int length) {
        int best = 0;
        for (int c = 1; c < length; c++) {
            if (values[offset + c] > values[offset + best]) {
                best = c;
            }
        }
        return best;
    }

    /** Entropy in nats of the distribution {@code p[offset .. offset + length)}. */
    public static double entropy(float[] p, int offset, int length) {
        double h = 0;
        for (int c = 0; c < length; c++) {
            double v = p[offset + c];
            if (v > 0) {
                h -= v * Math.log(v);
            }
        }
        return h;
    }
}
