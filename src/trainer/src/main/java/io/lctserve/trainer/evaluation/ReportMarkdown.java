package io.lctserve.trainer.evaluation;

import io.lctserve.core.exit.ExitAnalysis;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.ThresholdCalibration;
import io.lctserve.core.manifest.Manifest;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** REPORT.md: the tables behind the plots of {@link Report}, section by section. */
final class ReportMarkdown {

    private final StringBuilder md = new StringBuilder();
    private final Manifest model;
    private final ExitAnalysis test;
    private final Manifest backprop;

    private ReportMarkdown(Manifest model, ExitAnalysis test, Manifest backprop) {
        this.model = model;
        this.test = test;
        this.backprop = backprop != null && backprop.evaluation() != null ? backprop : null;
    }

    static String of(Manifest model, ExitAnalysis test, Manifest backprop, List<Report.Submodel> submodels) {
        ReportMarkdown r = new ReportMarkdown(model, test, backprop);
        r.title();
        r.heads();
        r.presets();
        r.curve("Max softmax, one threshold for every head", "threshold", ModelEvaluation.maxSoftmaxCurve(test));
        r.curve("Entropy rule (a head answers below this many nats)", "entropy", ModelEvaluation.entropyCurve(test));
        r.curve("Patience rule (this many consecutive heads agree)", "heads", ModelEvaluation.patienceCurve(test));
        r.submodels(submodels);
        return r.md.toString();
    }

    private void title() {
        md.append("# ")
                .append(model.name())
                .append(" version ")
                .append(model.version())
                .append(": evaluation report\n\n");
        line(
                "Test set: %d images. Written by `lctserve-trainer evaluate --report`. Compute (MACs fraction) is"
                        + " every graph run for an answer, relative to the full model (every stage and the last head):"
                        + " early exit at head k runs stages 0..k and heads 0..k.",
                test.samples());
        md.append("\n![accuracy vs compute](accuracy-vs-macs.png)\n\n");
    }

    private void heads() {
        md.append("## Each head alone\n\nHead k alone is stages 0..k and head k (mode `stage`).\n\n")
                .append("| head | MACs fraction | accuracy |")
                .append(backprop != null ? " backprop baseline |" : "")
                .append("\n|---|---|---|")
                .append(backprop != null ? "---|" : "")
                .append('\n');
        double[] acc = test.headAccuracy();
        for (int k = 0; k < acc.length; k++) {
            md.append(
                    String.format(Locale.ROOT, "| %d | %.3f | %.2f %% |", k, test.headCostFraction()[k], 100 * acc[k]));
            if (backprop != null) {
                md.append(String.format(
                        Locale.ROOT,
                        " %.2f %% |",
                        100 * backprop.evaluation().headAccuracy().get(k)));
            }
            md.append('\n');
        }
        md.append(String.format(
                Locale.ROOT,
                "| ensemble | %.3f | %.2f %% |",
                test.ensembleCostFraction(),
                100 * test.ensembleAccuracy()));
        if (backprop != null && backprop.evaluation().ensembleAccuracy() != null) {
            md.append(String.format(
                    Locale.ROOT, " %.2f %% |", 100 * backprop.evaluation().ensembleAccuracy()));
        }
        md.append("\n\n![per-head accuracy](head-accuracy.png)\n\n");
    }

    private void presets() {
        md.append("## Presets\n\nCalibrated on the validation split to lose at most their budget against the main")
                .append(" head with 95 % confidence; accuracy, cost and loss here are on the test set.\n\n")
                .append("| preset | rule | setting | accuracy | MACs fraction | mean exit stage | exits per head |")
                .append(" budget | test loss |\n|---|---|---|---|---|---|---|---|---|\n");
        model.presets().forEach((name, p) -> {
            ExitRule rule = ExitRule.of(p);
            ExitAnalysis.Outcome o = test.outcome(rule);
            Double budget = ThresholdCalibration.budget(name);
            line(
                    "| %s | %s | %s | %.2f %% | %.3f | %.2f | %s | %s | %.2f pt |",
                    name,
                    rule.wireName(),
                    rule.setting(),
                    100 * o.accuracy(),
                    o.meanMacsFraction(),
                    o.meanExitStage(),
                    Arrays.toString(o.exitCounts()),
                    budget == null ? "-" : String.format(Locale.ROOT, "%.2f pt", 100 * budget),
                    100 * o.loss());
        });
        md.append("\n![exit histogram](exit-histogram.png)\n\n");
    }

    private void curve(String title, String setting, List<ModelEvaluation.CurvePoint> curve) {
        md.append("## ")
                .append(title)
                .append("\n\n| ")
                .append(setting)
                .append(" | accuracy | MACs fraction | mean exit stage |\n|---|---|---|---|\n");
        for (ModelEvaluation.CurvePoint p : curve) {
            line(
                    "| %s | %.2f %% | %.3f | %.2f |",
                    p.setting(),
                    100 * p.outcome().accuracy(),
                    p.outcome().meanMacsFraction(),
                    p.outcome().meanExitStage());
        }
        md.append('\n');
    }

    private void submodels(List<Report.Submodel> submodels) {
        md.append("## Sub-models as standalone models\n\n")
                .append("Sub-model k is stages 0..k with head k as its classifier (`lctserve-trainer export-submodel")
                .append(
                        " --stage k`). Beside it, where one was given (`evaluate --submodel-reference`), the network of")
                .append(" exactly that size trained alone by backprop.\n\n")
                .append(
                        "| sub-model | MACs | parameters | accuracy, cut from this model | trained alone by backprop |\n")
                .append("|---|---|---|---|---|\n");
        for (Report.Submodel s : submodels) {
            String alone = s.alone() == null || s.alone().evaluation() == null
                    ? "-"
                    : String.format(
                            Locale.ROOT,
                            "%.2f %%",
                            100 * s.alone().evaluation().headAccuracy().get(s.stage()));
            line("| %d | %,d | %,d | %.2f %% | %s |", s.stage(), s.macs(), s.parameters(), 100 * s.accuracy(), alone);
        }
        md.append('\n');
    }

    private void line(String format, Object... args) {
        md.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
