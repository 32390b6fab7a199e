package io.lctserve.server.inference;

/** Row-wise softmax, numerically stable. */
final class Softmax {

    private Softmax() {}

    static void inPlace(float[] rows, int classes) {
        for (int off = 0; off < rows.length; off += classes) {
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, rows[off + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                double e = Math.exp(rows[off + c] - max);
                rows[off + c] = (float) e;
                sum += e;
            }
            for (int c = 0; c < classes; c++) {
                rows[off + c] = (float) (rows[off + c] / sum);
            }
        }
    }
}
