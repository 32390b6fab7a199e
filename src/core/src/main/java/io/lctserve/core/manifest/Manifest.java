package io.lctserve.core.manifest;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code manifest.json} of a staged model folder ({@code models/<name>/<version>/}): which
 * ONNX graphs make up the model, in which order they run, and how well each exit does.
 *
 * @param format the format tag, {@value #FORMAT}
 * @param name model name, equal to the name of the folder above the version folder
 * @param version model version, equal to the version folder's name
 * @param labels class names in logit order
 * @param input the model input tensor, {@code [-1, C, H, W]} FP32 in [0, 1]
 * @param preprocess how a picture of another size or colour becomes that input (absent: the default)
 * @param stages the stages in execution order, each with its exit head
 * @param evaluation accuracy measured on the held-out test set (may be absent)
 * @param presets named exit settings calibrated on a validation split
 * @param training free-form record of how the model was made
 */
public record Manifest(
        String format,
        String name,
        String version,
        List<String> labels,
        TensorSpec input,
        Preprocess preprocess,
        List<Stage> stages,
        Evaluation evaluation,
        Map<String, Preset> presets,
        Map<String, Object> training) {

    /** The one format this code reads and writes. */
    public static final String FORMAT = "lctserve-staged/1";

    public Manifest {
        labels = labels == null ? null : List.copyOf(labels);
        stages = stages == null ? null : List.copyOf(stages);
        // Presets keep their written order (accurate, balanced, fast); Map.copyOf would shuffle them.
        presets = presets == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(presets));
        training = training == null ? Map.of() : training;
    }

    /** Number of exits, which is also the number of stages. */
    public int exitCount() {
        return stages.size();
    }

    public Manifest withEvaluation(Evaluation newEvaluation) {
        return new Manifest(format, name, version, labels, input, preprocess, stages, newEvaluation, presets, training);
    }

    public Manifest withTraining(Map<String, Object> newTraining) {
        return new Manifest(format, name, version, labels, input, preprocess, stages, evaluation, presets, newTraining);
    }

    public Manifest withPresets(Map<String, Preset> newPresets) {
        return new Manifest(format, name, version, labels, input, preprocess, stages, evaluation, newPresets, training);
    }
}
