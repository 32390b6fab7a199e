package io.lctserve.runtime;

import java.util.List;

/**
 * The answer for one sample.
 *
 * @param probabilities the answering probabilities (one head's, or the ensemble's average)
 * @param predictedClass argmax of {@code probabilities}
 * @param confidence the largest probability
 * @param exitStage the stage whose head answered (the deepest stage run, for an ensemble)
 * @param deadlineCut the deadline stopped this sample before its mode or rule would have
 * @param macs multiply-accumulates spent on this sample: every graph run for it
 * @param heads every head run for this sample, in stage order (empty unless the plan keeps them)
 */
public record SampleResult(
        float[] probabilities,
        int predictedClass,
        float confidence,
        int exitStage,
        boolean deadlineCut,
        long macs,
        List<HeadProbabilities> heads) {

    /** What one head said about the sample. */
    public record HeadProbabilities(int stage, float[] probabilities) {}
}
