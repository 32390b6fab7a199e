package io.lctserve.server.http.classify;

import java.util.List;
import java.util.Map;

/**
 * The answer for one image, for people.
 *
 * @param label the predicted class name
 * @param confidence its probability
 * @param exitStage the stage whose head answered
 * @param deadlineCut whether the latency budget stopped the walk early
 * @param rule the mode, or the preset or threshold that decided the exit
 * @param macsFraction compute spent (every graph run) as a fraction of the full model's
 * @param heads every executed head's probabilities, by label
 * @param stageMillis wall time per executed stage (with its head)
 */
public record ClassifyResponse(
        String model,
        String version,
        String label,
        int classIndex,
        float confidence,
        int exitStage,
        boolean deadlineCut,
        String rule,
        double macsFraction,
        List<HeadProbabilities> heads,
        List<StageTiming> stageMillis) {

    public record HeadProbabilities(int stage, Map<String, Float> probabilities) {}

    public record StageTiming(int stage, double millis) {}
}
