package io.lctserve.trainer.evaluation;

import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Preset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code evaluate --report DIR}: REPORT.md and PNG plots of a staged model on the test set: the
 * accuracy/cost curve of each exit rule with the presets and the ensemble marked, per-head
 * accuracy beside the backprop baseline, and where samples exit at each preset.
 */
public final class Report {

    private Report() {}

    /**
     * Sub-model k (stages 0..k + head k) as a standalone model, beside the network of the same size
     * trained alone by backprop when there is one.
     *
     * @param stage k
     * @param macs multiply-accumulates per image
     * @param parameters weights as exported
     * @param accuracy test accuracy of head k of the staged model
     * @param alone the same-size network trained alone (its manifest), or null
     */
    public record Submodel(int stage, long macs, long parameters, double accuracy, Manifest alone) {}

    /**
     * @param backprop manifest of the same network trained by backprop, or null
     * @param submodels one row per sub-model, in stage order
     */
    public static void write(Path dir, Manifest model, ExitAnalysis test, Manifest backprop, List<Submodel> submodels)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        Map<String, Preset> presets = model.presets();
        double ensembleCost = ensembleCost(model);

        XYChart curve = new XYChartBuilder()
                .width(900)
                .height(560)
                .title(model.name() + " " + model.version() + ": accuracy vs compute (test set)")
                .xAxisTitle("mean MACs per image, fraction of the full model")
                .yAxisTitle("accuracy %")
                .build();
        List<ExitAnalysis.Outcome> maxSoftmax = new ArrayList<>();
        for (double t : ModelEvaluation.CURVE) {
            maxSoftmax.add(test.earlyExit(t));
        }
        List<ExitAnalysis.Outcome> entropy = new ArrayList<>();
        for (double t : ModelEvaluation.ENTROPY_CURVE) {
            entropy.add(test.earlyExitByEntropy(t));
        }
        List<ExitAnalysis.Outcome> patience = new ArrayList<>();
        for (int k = 1; k <= test.heads(); k++) {
            patience.add(test.earlyExitByPatience(k));
        }
        addLine(curve, "max softmax (one threshold)", maxSoftmax);
        addLine(curve, "entropy", entropy);
        addLine(curve, "patience", patience);
        for (Map.Entry<String, Preset> p : presets.entrySet()) {
            XYSeries s = curve.addSeries(
                    "preset " + p.getKey(),
                    new double[] {p.getValue().meanMacsFraction()},
                    new double[] {100 * p.getValue().testAccuracy()});
            s.setMarker(SeriesMarkers.DIAMOND);
        }
        double[] acc = test.headAccuracy();
        curve.addSeries("each head alone", test.exitCostFraction(), scale(acc)).setMarker(SeriesMarkers.SQUARE);
        curve.addSeries("ensemble of all heads", new double[] {ensembleCost}, new double[] {
                    100 * test.ensembleAccuracy()
                })
                .setMarker(SeriesMarkers.TRIANGLE_UP);
        for (XYSeries s : curve.getSeriesMap().values()) {
            if (s.getXData().length == 1 || s.getName().startsWith("each")) {
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            }
        }
        BitmapEncoder.saveBitmap(curve, dir.resolve("accuracy-vs-macs.png").toString(), BitmapEncoder.BitmapFormat.PNG);

        List<String> heads = new ArrayList<>();
        for (int k = 0; k < test.heads(); k++) {
            heads.add("head " + k);
        }
        CategoryChart perHead = new CategoryChartBuilder()
                .width(800)
                .height(480)
                .title("Accuracy of each head alone (test set)")
                .xAxisTitle("head")
                .yAxisTitle("accuracy %")
                .build();
        perHead.addSeries(label(model), heads, toList(scale(acc)));
        if (backprop != null && backprop.evaluation() != null) {
            perHead.addSeries(
                    label(backprop),
                    heads,
                    backprop.evaluation().headAccuracy().stream()
                            .map(a -> 100 * a)
                            .toList());
        }
        perHead.getStyler().setYAxisMin(Math.max(0, 100 * min(acc) - 5));
        BitmapEncoder.saveBitmap(perHead, dir.resolve("head-accuracy.png").toString(), BitmapEncoder.BitmapFormat.PNG);

        CategoryChart histogram = new CategoryChartBuilder()
                .width(800)
                .height(480)
                .title("Where images exit, per preset (test set)")
                .xAxisTitle("exit stage")
                .yAxisTitle("images")
                .build();
        for (Map.Entry<String, Preset> p : presets.entrySet()) {
            ExitAnalysis.Outcome o = test.outcome(p.getValue());
            List<Integer> counts = new ArrayList<>();
            for (int c : o.exitCounts()) {
                counts.add(c);
            }
            histogram.addSeries(p.getKey(), heads, counts);
        }
        BitmapEncoder.saveBitmap(
                histogram, dir.resolve("exit-histogram.png").toString(), BitmapEncoder.BitmapFormat.PNG);

        Files.writeString(
                dir.resolve("REPORT.md"),
                markdown(model, test, backprop, submodels, maxSoftmax, entropy, patience, ensembleCost));
    }

    private static String markdown(
            Manifest model,
            ExitAnalysis test,
            Manifest backprop,
            List<Submodel> submodels,
            List<ExitAnalysis.Outcome> maxSoftmax,
            List<ExitAnalysis.Outcome> entropy,
            List<ExitAnalysis.Outcome> patience,
            double ensembleCost) {
        StringBuilder md = new StringBuilder();
        md.append("# ")
                .append(model.name())
                .append(" version ")
                .append(model.version())
                .append(": evaluation report\n\n");
        md.append(String.format(
                Locale.ROOT,
                "Test set: %d images. Written by `lctserve-trainer evaluate --report`.%n%n",
                test.samples()));
        md.append("![accuracy vs compute](accuracy-vs-macs.png)\n\n## Each head alone\n\n");
        md.append("| head | MACs fraction | accuracy |")
                .append(backprop != null ? " backprop baseline |" : "")
                .append('\n');
        md.append("|---|---|---|").append(backprop != null ? "---|" : "").append('\n');
        double[] acc = test.headAccuracy();
        for (int k = 0; k < acc.length; k++) {
            md.append(
                    String.format(Locale.ROOT, "| %d | %.3f | %.2f %% |", k, test.exitCostFraction()[k], 100 * acc[k]));
            if (backprop != null && backprop.evaluation() != null) {
                md.append(String.format(
                        Locale.ROOT,
                        " %.2f %% |",
                        100 * backprop.evaluation().headAccuracy().get(k)));
            }
            md.append('\n');
        }
        md.append(String.format(
                Locale.ROOT,
                "| ensemble | %.3f | %.2f %% |%s%n",
                ensembleCost,
                100 * test.ensembleAccuracy(),
                backprop != null
                                && backprop.evaluation() != null
                                && backprop.evaluation().ensembleAccuracy() != null
                        ? String.format(
                                Locale.ROOT,
                                " %.2f %% |",
                                100 * backprop.evaluation().ensembleAccuracy())
                        : ""));
        md.append("\n![per-head accuracy](head-accuracy.png)\n\n## Presets\n\n");
        md.append("Calibrated on the validation split; accuracy and cost here are on the test set.\n\n");
        md.append("| preset | rule | setting | accuracy | MACs fraction | mean exit stage | exits per head |\n"
                + "|---|---|---|---|---|---|---|\n");
        model.presets().forEach((name, p) -> {
            ExitAnalysis.Outcome o = test.outcome(p);
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %.2f %% | %.3f | %.2f | %s |%n",
                    name,
                    p.ruleOrDefault(),
                    p.patience() != null ? p.patience() + " heads agree" : p.thresholds(),
                    100 * o.accuracy(),
                    o.meanMacsFraction(),
                    o.meanExitStage(),
                    java.util.Arrays.toString(o.exitCounts())));
        });
        md.append("\n![exit histogram](exit-histogram.png)\n\n");
        curveTable(md, "Max softmax, one threshold for every head", "threshold", maxSoftmax);
        curveTable(md, "Entropy rule (a head answers below this many nats)", "entropy", entropy);
        curveTable(md, "Patience rule (this many consecutive heads agree)", "heads", patience);
        submodelTable(md, submodels);
        return md.toString();
    }

    private static void submodelTable(StringBuilder md, List<Submodel> submodels) {
        md.append("## Sub-models as standalone models\n\n")
                .append("Sub-model k is stages 0..k with head k as its classifier (`lctserve-trainer export-submodel")
                .append(
                        " --stage k`). Beside it, where one was given (`evaluate --submodel-reference`), the network of")
                .append(" exactly that size trained alone by backprop.\n\n")
                .append(
                        "| sub-model | MACs | parameters | accuracy, cut from this model | trained alone by backprop |\n")
                .append("|---|---|---|---|---|\n");
        for (Submodel s : submodels) {
            String alone = s.alone() == null || s.alone().evaluation() == null
                    ? "-"
                    : String.format(
                            Locale.ROOT,
                            "%.2f %%",
                            100 * s.alone().evaluation().headAccuracy().get(s.stage()));
            md.append(String.format(
                    Locale.ROOT,
                    "| %d | %,d | %,d | %.2f %% | %s |%n",
                    s.stage(),
                    s.macs(),
                    s.parameters(),
                    100 * s.accuracy(),
                    alone));
        }
        md.append('\n');
    }

    private static void curveTable(
            StringBuilder md, String title, String setting, List<ExitAnalysis.Outcome> outcomes) {
        md.append("## ")
                .append(title)
                .append("\n\n| ")
                .append(setting)
                .append(" | accuracy | MACs fraction | mean exit stage |\n|---|---|---|---|\n");
        for (ExitAnalysis.Outcome o : outcomes) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %.2f %% | %.3f | %.2f |%n",
                    trim(o.thresholds()[0]),
                    100 * o.accuracy(),
                    o.meanMacsFraction(),
                    o.meanExitStage()));
        }
        md.append('\n');
    }

    private static void addLine(XYChart chart, String name, List<ExitAnalysis.Outcome> outcomes) {
        double[] x = outcomes.stream()
                .mapToDouble(ExitAnalysis.Outcome::meanMacsFraction)
                .toArray();
        double[] y = outcomes.stream().mapToDouble(o -> 100 * o.accuracy()).toArray();
        chart.addSeries(name, x, y);
    }

    /** Cost of running every stage and every head, relative to the full model. */
    static double ensembleCost(Manifest m) {
        long macs = 0;
        for (var s : m.stages()) {
            macs += s.macs() + s.head().macs();
        }
        return macs / (double) m.fullModelMacs();
    }

    private static String label(Manifest m) {
        Object mode = m.training().get("mode");
        return mode == null ? m.name() : String.valueOf(mode);
    }

    private static double[] scale(double[] fractions) {
        double[] p = new double[fractions.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = 100 * fractions[i];
        }
        return p;
    }

    private static List<Double> toList(double[] values) {
        List<Double> list = new ArrayList<>();
        for (double v : values) {
            list.add(v);
        }
        return list;
    }

    private static double min(double[] values) {
        double m = Double.MAX_VALUE;
        for (double v : values) {
            m = Math.min(m, v);
        }
        return m;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
