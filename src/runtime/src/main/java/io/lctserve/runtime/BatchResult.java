package io.lctserve.runtime;

import java.util.List;

/**
 * Answers for a whole batch, in input order.
 *
 * @param samples one result per input sample
 * @param stageMillis wall time of each stage step (stage and heads) for this batch; 0 for stages not run
 * @param macsFull what the full model would have spent on the batch
 */
public record BatchResult(List<SampleResult> samples, double[] stageMillis, long macsFull) {

    /** Multiply-accumulates spent on the batch. */
    public long macsSpent() {
        return samples.stream().mapToLong(SampleResult::macs).sum();
    }

    /** Compute spent relative to the full model (above 1 when every head ran). */
    public double macsFraction() {
        return macsSpent() / (double) macsFull;
    }

    public boolean deadlineCut() {
        return samples.stream().anyMatch(SampleResult::deadlineCut);
    }
}
