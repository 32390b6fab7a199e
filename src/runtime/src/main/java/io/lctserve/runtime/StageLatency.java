package io.lctserve.runtime;

/**
 * Measured cost of each stage step (stage k with the heads run after it), so that a deadline can be
 * planned before a stage runs: an exponentially weighted mean of nanoseconds per sample, kept per
 * batch size class (1, 2-3, 4-7, ... 128 and more), because a sample costs less in a larger batch.
 */
public final class StageLatency {

    private static final double WEIGHT = 0.2;
    private static final int CLASSES = 8;
    private final double[][] perSampleNanos;
    private final boolean[][] measured;

    StageLatency(int stages) {
        perSampleNanos = new double[stages][CLASSES];
        measured = new boolean[stages][CLASSES];
    }

    private static int sizeClass(int batch) {
        return Math.min(CLASSES - 1, 31 - Integer.numberOfLeadingZeros(Math.max(1, batch)));
    }

    /** Records that stage k took {@code nanos} for {@code batch} samples. */
    public synchronized void record(int k, int batch, long nanos) {
        int c = sizeClass(batch);
        double perSample = nanos / (double) batch;
        perSampleNanos[k][c] =
                measured[k][c] ? perSampleNanos[k][c] + WEIGHT * (perSample - perSampleNanos[k][c]) : perSample;
        measured[k][c] = true;
    }

    /**
     * Predicted nanoseconds of stage k for {@code batch} samples, from the nearest batch size class
     * measured (smaller classes first: they cost more per sample, so the plan errs safe); zero before
     * anything was measured.
     */
    public synchronized double predictNanos(int k, int batch) {
        int c = sizeClass(batch);
        for (int d = 0; d < CLASSES; d++) {
            if (c - d >= 0 && measured[k][c - d]) {
                return perSampleNanos[k][c - d] * batch;
            }
            if (c + d < CLASSES && measured[k][c + d]) {
                return perSampleNanos[k][c + d] * batch;
            }
        }
        return 0;
    }
}
