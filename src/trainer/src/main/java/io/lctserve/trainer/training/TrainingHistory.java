package io.lctserve.trainer.training;

import static io.lctserve.core.manifest.Rounding.round;
import static io.lctserve.core.manifest.Rounding.rounded;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a training run did, epoch by epoch; becomes part of the manifest's {@code training} record. */
public final class TrainingHistory {

    private final TrainingOptions options;
    private final List<Map<String, Object>> epochs = new ArrayList<>();
    private final String schedule;
    private double wallSeconds;
    private Map<String, Object> pipelineChoice;

    TrainingHistory(TrainingOptions options, String schedule) {
        this.options = options;
        this.schedule = schedule;
    }

    void addEpoch(
            double loss,
            double[] trainAccuracy,
            double[] validationAccuracy,
            double imagesPerSecond,
            double seconds,
            List<Map<String, Object>> workers) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("epoch", epochs.size() + 1);
        e.put("meanLoss", round(loss));
        e.put("trainHeadAccuracy", rounded(trainAccuracy));
        e.put("validationHeadAccuracy", rounded(validationAccuracy));
        e.put("imagesPerSecond", Math.round(imagesPerSecond));
        e.put("seconds", round(seconds));
        if (workers != null) {
            e.put("workers", workers);
        }
        epochs.add(e);
    }

    /** Continues a resumed run's history. */
    void restore(List<Map<String, Object>> earlier) {
        epochs.clear();
        epochs.addAll(earlier);
    }

    void setWallSeconds(double seconds) {
        this.wallSeconds = seconds;
    }

    void setPipelineChoice(Map<String, Object> choice) {
        this.pipelineChoice = choice;
    }

    /** What {@code --pipeline auto} chose and why (trial rates); null otherwise. */
    public Map<String, Object> pipelineChoice() {
        return pipelineChoice;
    }

    public double wallSeconds() {
        return wallSeconds;
    }

    /** The learning-rate schedule as it ran (warm-up and decay in steps). */
    public String schedule() {
        return schedule;
    }

    public TrainingOptions options() {
        return options;
    }

    public List<Map<String, Object>> epochs() {
        return List.copyOf(epochs);
    }
}
