package io.lctserve.trainer.evaluation;

import static io.lctserve.core.manifest.Rounding.round;
import static io.lctserve.core.manifest.Rounding.rounded;

import ai.onnxruntime.OrtException;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.exit.ExitAnalysis;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.ThresholdCalibration;
import io.lctserve.core.manifest.Evaluation;
import io.lctserve.core.manifest.Preset;
import io.lctserve.core.model.StagedModel;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.runtime.StagedSessions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * Evaluates an exported staged model in ONNX Runtime, through the runtime the server serves it
 * with, and turns the results into manifest records.
 */
public final class ModelEvaluation {

    /** Shared thresholds of the printed max-softmax curve. */
    static final double[] CURVE = {0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999};

    /** Entropy bounds (nats) of the printed entropy-rule curve; ln(10) = 2.30 is a uniform guess. */
    static final double[] ENTROPY_CURVE = {0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0};

    private ModelEvaluation() {}

    public static ExitAnalysis analyze(StagedModel model, ImageSet images) throws OrtException {
        try (StagedSessions sessions = StagedSessions.open(model, SessionSettings.defaults())) {
            return new ExitAnalysis(sessions.allHeadLogits(images), images.labels(), sessions.cost());
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
     * Calibrates each preset on validation data ({@link ThresholdCalibration#calibrateHeldOut}: searched
     * on half the images, confirmed on the other half) and records its test-set outcome: accurate,
     * balanced and fast for the max-softmax rule, then the same budgets for entropy and patience
     * ({@code balanced-entropy}, {@code balanced-patience}, ...), each with the share of validation
     * answers that differ from the main head's. A preset that costs as much as the full model or
     * more (patience over every head reads every head) is dropped, said on stdout: it would sell
     * the full model's answer dearer than full mode does.
     */
    public static Map<String, Preset> presets(ExitAnalysis validation, ExitAnalysis test) {
        Map<String, ExitAnalysis.Outcome> calibrated = new LinkedHashMap<>();
        for (String rule : List.of(ExitRule.MAX_SOFTMAX, ExitRule.ENTROPY, ExitRule.PATIENCE)) {
            ThresholdCalibration.BUDGETS.forEach((name, budget) -> calibrated.put(
                    rule.equals(ExitRule.MAX_SOFTMAX) ? name : name + "-" + rule,
                    ThresholdCalibration.calibrateHeldOut(rule, validation, budget)));
        }
        Map<String, Preset> presets = new LinkedHashMap<>();
        calibrated.forEach((name, outcome) -> {
            if (outcome == null) {
                System.out.printf(Locale.ROOT, "preset %s dropped: no setting passed its budget%n", name);
                return;
            }
            ExitRule rule = ExitRule.of(outcome.rule().toPreset(null, null).rounded());
            ExitAnalysis.Outcome onValidation = validation.outcome(rule);
            if (onValidation.meanMacsFraction() >= 1.0) {
                System.out.printf(
                        Locale.ROOT,
                        "preset %s dropped: within its budget only at %.3f of the full model's compute"
                                + " (full mode costs 1.000 for the main head's answer)%n",
                        name,
                        onValidation.meanMacsFraction());
                return;
            }
            ExitAnalysis.Outcome o = test.outcome(rule);
            presets.put(
                    name,
                    rule.toPreset(round(o.accuracy()), round(o.meanMacsFraction()))
                            .withValidationDisagreement(round(onValidation.disagreement())));
        });
        return presets;
    }

    /** One point of a printed curve: the shared setting, and what it does. */
    record CurvePoint(String setting, ExitAnalysis.Outcome outcome) {}

    /** Max softmax with one threshold shared by every head. */
    static List<CurvePoint> maxSoftmaxCurve(ExitAnalysis test) {
        return curve(CURVE, t -> ExitRule.MaxSoftmax.everyHead(test.heads(), t), test);
    }

    /** Entropy with one bound shared by every head. */
    static List<CurvePoint> entropyCurve(ExitAnalysis test) {
        return curve(ENTROPY_CURVE, b -> ExitRule.Entropy.everyHead(test.heads(), b), test);
    }

    /** Patience from 1 to every head agreeing. */
    static List<CurvePoint> patienceCurve(ExitAnalysis test) {
        List<CurvePoint> curve = new ArrayList<>();
        for (int k = 1; k <= test.heads(); k++) {
            curve.add(new CurvePoint(Integer.toString(k), test.outcome(new ExitRule.Patience(k))));
        }
        return curve;
    }

    private static List<CurvePoint> curve(double[] settings, DoubleFunction<ExitRule> rule, ExitAnalysis test) {
        return Arrays.stream(settings)
                .mapToObj(v -> new CurvePoint(trim(v), test.outcome(rule.apply(v))))
                .toList();
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** A plain-text report: per-head accuracy, ensemble, the early-exit curves and the presets. */
    public static String report(ExitAnalysis test, Map<String, Preset> presets) {
        StringBuilder sb = new StringBuilder();
        double[] acc = test.headAccuracy();
        double[] cost = test.headCostFraction();
        sb.append(String.format(Locale.ROOT, "%-10s %9s %13s%n", "head", "accuracy", "MACs fraction"));
        for (int k = 0; k < acc.length; k++) {
            sb.append(String.format(Locale.ROOT, "%-10s %8.2f%% %13.3f%n", "head-" + k, 100 * acc[k], cost[k]));
        }
        sb.append(String.format(
                Locale.ROOT,
                "%-10s %8.2f%% %13.3f%n",
                "ensemble",
                100 * test.ensembleAccuracy(),
                test.ensembleCostFraction()));
        sb.append(String.format(
                Locale.ROOT,
                "%nearly exit, one threshold for every head (%d samples; MACs count every head read)%n",
                test.samples()));
        sb.append(String.format(
                Locale.ROOT,
                "%17s %9s %13s %10s  %s%n",
                "setting",
                "accuracy",
                "MACs fraction",
                "mean exit",
                "exits per head"));
        maxSoftmaxCurve(test).forEach(p -> sb.append(line(p.setting(), p.outcome())));
        sb.append(String.format(Locale.ROOT, "%nearly exit by entropy (a head answers below this many nats)%n"));
        entropyCurve(test).forEach(p -> sb.append(line(p.setting(), p.outcome())));
        sb.append(String.format(Locale.ROOT, "%nearly exit by patience (this many consecutive heads agree)%n"));
        patienceCurve(test).forEach(p -> sb.append(line(p.setting(), p.outcome())));
        if (!presets.isEmpty()) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%npresets (calibrated on validation data to lose at most their budget against the main head,"
                            + " with 95%% confidence)%n%17s %9s %13s %10s  %-24s %8s %10s%n",
                    "",
                    "accuracy",
                    "MACs fraction",
                    "mean exit",
                    "exits per head",
                    "budget",
                    "test loss"));
            presets.forEach((name, p) -> {
                ExitAnalysis.Outcome o = test.outcome(ExitRule.of(p));
                Double budget = ThresholdCalibration.budget(name);
                sb.append(line(name, o).stripTrailing());
                sb.append(String.format(
                        Locale.ROOT,
                        "%s %7.2f pt %7.2f pt%s%n",
                        " "
                                .repeat(Math.max(
                                        0, 24 - Arrays.toString(o.exitCounts()).length())),
                        budget == null ? Double.NaN : 100 * budget,
                        100 * o.loss(),
                        budget != null && o.loss() > budget + 1e-12 ? "  OVER" : ""));
            });
        }
        return sb.toString();
    }

    private static String line(String label, ExitAnalysis.Outcome o) {
        return String.format(
                Locale.ROOT,
                "%17s %8.2f%% %13.3f %10.2f  %s%n",
                label,
                100 * o.accuracy(),
                o.meanMacsFraction(),
                o.meanExitStage(),
                Arrays.toString(o.exitCounts()));
    }
}
