package io.lctserve.server.inference;

import java.util.List;

/**
 * The answer for one sample.
 *
 * @param probabilities the answering probabilities (one head's, or the ensemble's average)
 * @param predictedClass argmax of {@code probabilities}
 * @param confidence the largest probability
 * @param exitStage the stage whose head answered (the deepest stage run, for an ensemble)
 * @param deadlineCut the latency budget stopped this sample before its policy would have
 * @param heads probabilities of every head run for this sample, in stage order (empty unless asked)
 */
public record SampleResult(
        float[] probabilities,
        int predictedClass,
        float confidence,
        int exitStage,
        boolean deadlineCut,
        List<float[]> heads) {}
