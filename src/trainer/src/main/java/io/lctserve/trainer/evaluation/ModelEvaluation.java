package io.lctserve.trainer.evaluation;

import static io.lctserve.trainer.evaluation.Rounding.round;
import static io.lctserve.trainer.evaluation.Rounding.rounded;

import ai.onnxruntime.OrtException;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Evaluation;
import io.lctserve.core.manifest.Preset;
import io.lctserve.core.model.StagedModel;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Evaluates an exported staged model in ONNX Runtime and turns the results into manifest records. */
public final class ModelEvaluation {

    /** Shared thresholds of the printed early-exit curve. */
    static final double[] CURVE = {0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999};

    /** Entropy bounds (nats) of the printed entropy-rule curve; ln(10) = 2.30 is a uniform guess. */
    static final double[] ENTROPY_CURVE = {0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0};

    private ModelEvaluation() {}

    public static ExitAnalysis analyze(StagedModel model, ImageSet images) throws OrtException {
        try (OnnxStagedRunner runner = new OnnxStagedRunner(model)) {
            return new ExitAnalysis(
                    runner.logits(images), images.labels(), ExitAnalysis.exitCostFractions(model.manifest()));
        }
    }

    public static Evaluation evaluation(String dataset, ExitAnalysis test, Double backpropAccuracy) {
        return new Evaluation(
                dataset,
                test.samples(),
                rounded(test.headAccuracy()),
                round(test.ensembleAccuracy()),
                backpropAccuracy);
    }

    /**
     * Calibrates each preset on validation data and records its test-set outcome: accurate,
     * balanced and fast for the max-softmax rule, then the same budgets for entropy and patience
     * ({@code balanced-entropy}, {@code balanced-patience}, ...).
     */
    public static Map<String, Preset> presets(ExitAnalysis validation, ExitAnalysis test) {
        Map<String, Preset> presets = new LinkedHashMap<>();
        ThresholdCalibration.BUDGETS.forEach((name, budget) ->
                presets.put(name, measured(test, null, ThresholdCalibration.calibrate(validation, budget))));
        ThresholdCalibration.BUDGETS.forEach((name, budget) -> presets.put(
                name + "-" + Preset.ENTROPY,
                measured(test, Preset.ENTROPY, ThresholdCalibration.calibrateEntropy(validation, budget))));
        ThresholdCalibration.BUDGETS.forEach((name, budget) -> presets.put(
                name + "-" + Preset.PATIENCE,
                measured(test, Preset.PATIENCE, ThresholdCalibration.calibratePatience(validation, budget))));
        return presets;
    }

    /**
     * The calibrated setting as a manifest preset (rule null: max_softmax, written as DESIGN.md
     * has it), with its test-set accuracy and mean MACs fraction.
     */
    private static Preset measured(ExitAnalysis test, String rule, ExitAnalysis.Outcome calibrated) {
        boolean patience = Preset.PATIENCE.equals(rule);
        Preset setting = new Preset(
                rule,
                patience ? null : rounded(calibrated.thresholds()),
                patience ? (int) calibrated.thresholds()[0] : null,
                null,
                null);
        ExitAnalysis.Outcome o = test.outcome(setting);
        return new Preset(
                rule, setting.thresholds(), setting.patience(), round(o.accuracy()), round(o.meanMacsFraction()));
    }

    /** A plain-text report: per-head accuracy, ensemble, the early-exit curve and the presets. */
    public static String report(ExitAnalysis test, Map<String, Preset> presets) {
        StringBuilder sb = new StringBuilder();
        double[] acc = test.headAccuracy();
        double[] cost = test.exitCostFraction();
        sb.append(String.format(Locale.ROOT, "%-10s %9s %13s%n", "head", "accuracy", "MACs fraction"));
        for (int k = 0; k < acc.length; k++) {
            sb.append(String.format(Locale.ROOT, "%-10s %8.2f%% %13.3f%n", "head-" + k, 100 * acc[k], cost[k]));
        }
        sb.append(String.format(Locale.ROOT, "%-10s %8.2f%% %13.3f%n", "ensemble", 100 * test.ensembleAccuracy(), 1.0));
        sb.append(String.format(
                Locale.ROOT, "%nearly exit, one threshold for every head (%d samples)%n", test.samples()));
        sb.append(String.format(
                Locale.ROOT,
                "%9s %9s %13s %10s  %s%n",
                "threshold",
                "accuracy",
                "MACs fraction",
                "mean exit",
                "exits per head"));
        for (double t : CURVE) {
            sb.append(line(String.format(Locale.ROOT, "%9.3f", t), test.earlyExit(t)));
        }
        sb.append(String.format(Locale.ROOT, "%nearly exit by entropy (a head answers below this many nats)%n"));
        for (double t : ENTROPY_CURVE) {
            sb.append(line(String.format(Locale.ROOT, "%9.3f", t), test.earlyExitByEntropy(t)));
        }
        sb.append(String.format(Locale.ROOT, "%nearly exit by patience (this many consecutive heads agree)%n"));
        for (int k = 1; k <= test.heads(); k++) {
            sb.append(line(String.format(Locale.ROOT, "%9d", k), test.earlyExitByPatience(k)));
        }
        if (!presets.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%npresets (calibrated on validation data)%n"));
            presets.forEach((name, p) -> sb.append(line(String.format(Locale.ROOT, "%17s", name), test.outcome(p))));
        }
        return sb.toString();
    }

    private static String line(String label, ExitAnalysis.Outcome o) {
        return String.format(
                Locale.ROOT,
                "%s %8.2f%% %13.3f %10.2f  %s%n",
                label,
                100 * o.accuracy(),
                o.meanMacsFraction(),
                o.meanExitStage(),
                java.util.Arrays.toString(o.exitCounts()));
    }
}
