package io.lctserve.server.model;

/**
 * Measured cost of each exit step (stage k plus head k), kept as an exponentially weighted mean
 * of milliseconds per sample, so that a deadline can be planned before a stage runs.
 */
public final class StageLatency {

    private static final double WEIGHT = 0.2;
    private final double[] perSampleMs;
    private final boolean[] measured;

    StageLatency(int stages) {
        perSampleMs = new double[stages];
        measured = new boolean[stages];
    }

    /** Records that stage k (with its head) took {@code millis} for {@code batch} samples. */
    public synchronized void record(int k, int batch, double millis) {
        double perSample = millis / batch;
        perSampleMs[k] = measured[k] ? perSampleMs[k] + WEIGHT * (perSample - perSampleMs[k]) : perSample;
        measured[k] = true;
    }

    /** Predicted milliseconds of stage k for {@code batch} samples; zero before anything was measured. */
    public synchronized double predictMs(int k, int batch) {
        return measured[k] ? perSampleMs[k] * batch : 0;
    }
}
