package io.lctserve.runtime;

/**
 * Measured cost of each stage step (stage k with the heads run after it), an exponentially weighted
 * mean of nanoseconds per sample, so that a deadline can be planned before a stage runs.
 */
public final class StageLatency {

    private static final double WEIGHT = 0.2;
    private final double[] perSampleNanos;
    private final boolean[] measured;

    StageLatency(int stages) {
        perSampleNanos = new double[stages];
        measured = new boolean[stages];
    }

    /** Records that stage k took {@code nanos} for {@code batch} samples. */
    public synchronized void record(int k, int batch, long nanos) {
        double perSample = nanos / (double) batch;
        perSampleNanos[k] = measured[k] ? perSampleNanos[k] + WEIGHT * (perSample - perSampleNanos[k]) : perSample;
        measured[k] = true;
    }

    /** Predicted nanoseconds of stage k for {@code batch} samples; zero before anything was measured. */
    public synchronized double predictNanos(int k, int batch) {
        return measured[k] ? perSampleNanos[k] * batch : 0;
    }
}
