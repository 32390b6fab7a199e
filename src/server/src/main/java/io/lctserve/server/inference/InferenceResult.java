package io.lctserve.server.inference;

import java.util.List;

/**
 * Answers for a whole batch, in input order.
 *
 * @param samples one result per input sample
 * @param stageMillis wall time spent on each stage (with its head) for this request; 0 for stages not run
 * @param macsUsed multiply-accumulates spent, summed over the batch
 * @param macsFull what the full model would have spent on the batch
 * @param rule the mode, or for early exit where its thresholds came from ({@code preset:balanced})
 */
public record InferenceResult(
        List<SampleResult> samples, double[] stageMillis, long macsUsed, long macsFull, String rule) {

    public boolean deadlineCut() {
        return samples.stream().anyMatch(SampleResult::deadlineCut);
    }
}
