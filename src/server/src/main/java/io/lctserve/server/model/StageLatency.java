package io.lctserve.server.model;

/**
 * Measured cost of each exit step (stage k plus head k), kept as an exponentially weighted mean
 * of milliseconds per call and per sample, so a deadline can be planned before running a stage.
 */
public final class StageLatency {

    private static final double WEIGHT = 0.2;
    private final double[] perCallMs;
    private final double[] perSampleMs;
    private final boolean[] measured;

    StageLatency(int stages) {
        perCallMs = new double[stages];
        perSampleMs = new double[stages];
        measured = new boolean[stages];
    }

    /** Records that stage k (with its head) took {@code millis} for {@code batch} samples. */
    public synchronized void record(int k, int batch, double millis) {
        double perSample = millis / batch;
        if (!measured[k]) {
            perCallMs[k] = millis;
            perSampleMs[k] = perSample;
            measured[k] = true;
        } else {
            perCallMs[k] += WEIGHT * (millis - perCallMs[k]);
            perSampleMs[k] += WEIGHT * (perSample - perSampleMs[k]);
        }
    }

    /**
     * Predicted milliseconds of stage k for {@code batch} samples: at least one call's cost, more
     * when the batch is large. Zero before anything was measured.
     */
    public synchronized double predictMs(int k, int batch) {
        return measured[k] ? Math.max(perCallMs[k] * Math.min(1, batch), perSampleMs[k] * batch) : 0;
    }

    public synchronized boolean isMeasured(int k) {
        return measured[k];
    }
}
