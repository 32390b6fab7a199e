package io.lctserve.trainer.evaluation;

import io.lctserve.core.exit.ExitAnalysis;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Preset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code evaluate --report DIR}: REPORT.md ({@link ReportMarkdown}) and three PNG plots of a staged
 * model on the test set: the accuracy/compute curve of each exit rule with the presets and the
 * ensemble marked, per-head accuracy beside the backprop baseline, and where samples exit at each
 * preset.
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

    /** Another model of the same task (trained another way) and what it does on the same test set. */
    public record Compared(Manifest manifest, ExitAnalysis test) {}

    /**
     * @param backprop manifest of the same network trained by backprop, or null
     * @param submodels one row per sub-model, in stage order
     * @param compared other models to set beside this one on one accuracy-vs-compute chart (may be empty)
     */
    public static void write(
            Path dir,
            Manifest model,
            ExitAnalysis test,
            Manifest backprop,
            List<Submodel> submodels,
            List<Compared> compared)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        save(accuracyVsCompute(model, test), dir.resolve("accuracy-vs-macs.png"));
        save(headAccuracy(model, test, backprop), dir.resolve("head-accuracy.png"));
        save(exitHistogram(model, test), dir.resolve("exit-histogram.png"));
        String md = ReportMarkdown.of(model, test, backprop, submodels);
        if (!compared.isEmpty()) {
            List<ModeComparison.Entry> entries = new ArrayList<>();
            entries.add(new ModeComparison.Entry(model, test));
            compared.forEach(c -> entries.add(new ModeComparison.Entry(c.manifest(), c.test())));
            save(ModeComparison.chart(entries), dir.resolve("methods-accuracy-vs-macs.png"));
            md += ModeComparison.markdown(entries);
        }
        Files.writeString(dir.resolve("REPORT.md"), md);
    }

    /** Each rule's curve, the presets, each head alone and the ensemble, on accuracy against compute. */
    static XYChart accuracyVsCompute(Manifest model, ExitAnalysis test) {
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(560)
                .title(model.name() + " " + model.version() + ": accuracy vs compute (test set)")
                .xAxisTitle("mean MACs per image (every graph run), fraction of the full model")
                .yAxisTitle("accuracy %")
                .build();
        line(chart, "max softmax (one threshold)", ModelEvaluation.maxSoftmaxCurve(test));
        line(chart, "entropy", ModelEvaluation.entropyCurve(test));
        line(chart, "patience", ModelEvaluation.patienceCurve(test));
        for (Map.Entry<String, Preset> p : model.presets().entrySet()) {
            point(
                            chart,
                            "preset " + p.getKey(),
                            p.getValue().meanMacsFraction(),
                            p.getValue().testAccuracy())
                    .setMarker(SeriesMarkers.DIAMOND);
        }
        XYSeries heads = chart.addSeries("each head alone", test.headCostFraction(), percent(test.headAccuracy()));
        heads.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        heads.setMarker(SeriesMarkers.SQUARE);
        point(chart, "ensemble of all heads", test.ensembleCostFraction(), test.ensembleAccuracy())
                .setMarker(SeriesMarkers.TRIANGLE_UP);
        return chart;
    }

    /** Each head's accuracy alone, beside the same network trained by backprop. */
    static CategoryChart headAccuracy(Manifest model, ExitAnalysis test, Manifest backprop) {
        CategoryChart chart = new CategoryChartBuilder()
                .width(800)
                .height(480)
                .title("Accuracy of each head alone (test set)")
                .xAxisTitle("head")
                .yAxisTitle("accuracy %")
                .build();
        double[] acc = test.headAccuracy();
        chart.addSeries(
                label(model),
                headNames(test),
                Arrays.stream(percent(acc)).boxed().toList());
        if (backprop != null && backprop.evaluation() != null) {
            chart.addSeries(
                    label(backprop),
                    headNames(test),
                    backprop.evaluation().headAccuracy().stream()
                            .map(a -> 100 * a)
                            .toList());
        }
        chart.getStyler().setYAxisMin(Math.max(0, 100 * Arrays.stream(acc).min().orElse(0) - 5));
        return chart;
    }

    /** How many test images each head answers, per preset. */
    static CategoryChart exitHistogram(Manifest model, ExitAnalysis test) {
        CategoryChart chart = new CategoryChartBuilder()
                .width(800)
                .height(480)
                .title("Where images exit, per preset (test set)")
                .xAxisTitle("exit stage")
                .yAxisTitle("images")
                .build();
        model.presets()
                .forEach((name, preset) -> chart.addSeries(
                        name,
                        headNames(test),
                        Arrays.stream(test.outcome(ExitRule.of(preset)).exitCounts())
                                .boxed()
                                .toList()));
        return chart;
    }

    private static void line(XYChart chart, String name, List<ModelEvaluation.CurvePoint> curve) {
        chart.addSeries(
                name,
                curve.stream().mapToDouble(p -> p.outcome().meanMacsFraction()).toArray(),
                curve.stream().mapToDouble(p -> 100 * p.outcome().accuracy()).toArray());
    }

    private static XYSeries point(XYChart chart, String name, double macsFraction, double accuracy) {
        XYSeries s = chart.addSeries(name, new double[] {macsFraction}, new double[] {100 * accuracy});
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        return s;
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path png) throws IOException {
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static List<String> headNames(ExitAnalysis test) {
        List<String> heads = new ArrayList<>();
        for (int k = 0; k < test.heads(); k++) {
            heads.add("head " + k);
        }
        return heads;
    }

    static String label(Manifest m) {
        Object mode = m.training().get("mode");
        return mode == null ? m.name() : String.valueOf(mode);
    }

    private static double[] percent(double[] fractions) {
        return Arrays.stream(fractions).map(f -> 100 * f).toArray();
    }
}
