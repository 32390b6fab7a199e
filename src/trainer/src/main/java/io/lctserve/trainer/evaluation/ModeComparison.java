package io.lctserve.trainer.evaluation;

import io.lctserve.core.exit.ExitAnalysis;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Preset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Several ways to get an early-exit model, side by side on one test set: each one's accuracy-vs-MACs
 * curve (max softmax, one threshold for every head) on one chart, and a table of what each cost to
 * train and what it answers. The manifests say how each was trained.
 */
final class ModeComparison {

    /** One trained model and what it does on the test set. */
    record Entry(Manifest manifest, ExitAnalysis test) {

        String label() {
            Map<String, Object> t = manifest.training();
            if (t == null) {
                return manifest.name() + " " + manifest.version();
            }
            Object loss = t.get("criticLoss");
            Object workers = t.get("pipelineWorkers");
            Object threads = t.get("threads");
            return t.get("mode") + (loss != null ? "/" + loss : "") + ", " + t.get("epochs") + " epochs"
                    + (workers instanceof Number n && n.intValue() > 1 ? ", " + n + " pipeline workers" : "")
                    + (threads instanceof Number n ? ", " + n + (n.intValue() == 1 ? " thread" : " threads") : "");
        }
    }

    private ModeComparison() {}

    static XYChart chart(List<Entry> entries) {
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(560)
                .title("Accuracy vs compute, one model per training method (test set)")
                .xAxisTitle("mean MACs per image (every graph run), fraction of the full model")
                .yAxisTitle("accuracy %")
                .build();
        for (Entry e : entries) {
            List<ModelEvaluation.CurvePoint> curve = ModelEvaluation.maxSoftmaxCurve(e.test());
            XYSeries s = chart.addSeries(
                    e.label(),
                    curve.stream()
                            .mapToDouble(p -> p.outcome().meanMacsFraction())
                            .toArray(),
                    curve.stream()
                            .mapToDouble(p -> 100 * p.outcome().accuracy())
                            .toArray());
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        chart.getStyler().setXAxisMax(0.6);
        return chart;
    }

    static String markdown(List<Entry> entries) {
        StringBuilder md = new StringBuilder("## Training methods compared\n\n")
                .append("Each model's curve is max softmax with one threshold for every head (test set). Training")
                .append(" time is the wall time the manifest records (its machine and threads are in its")
                .append(" `training` record).\n\n![methods](methods-accuracy-vs-macs.png)\n\n")
                .append("| method | wall time | images/s (last epoch) | main head | best early head | ensemble |")
                .append(" balanced preset (accuracy @ MACs) |\n|---|---|---|---|---|---|---|\n");
        for (Entry e : entries) {
            double[] acc = e.test().headAccuracy();
            double bestEarly = 0;
            for (int k = 0; k < acc.length - 1; k++) {
                bestEarly = Math.max(bestEarly, acc[k]);
            }
            Map<String, Object> t = e.manifest().training();
            Preset balanced = e.manifest().presets().get("balanced");
            String preset = "-";
            if (balanced != null) {
                ExitAnalysis.Outcome o = e.test().outcome(ExitRule.of(balanced));
                preset = String.format(Locale.ROOT, "%.2f %% @ %.3f", 100 * o.accuracy(), o.meanMacsFraction());
            }
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s s | %s | %.2f %% | %.2f %% | %.2f %% | %s |%n",
                    e.label(),
                    t == null ? "?" : t.get("wallSeconds"),
                    lastEpochRate(t),
                    100 * acc[acc.length - 1],
                    100 * bestEarly,
                    100 * e.test().ensembleAccuracy(),
                    preset));
        }
        return md.append('\n').toString();
    }

    private static String lastEpochRate(Map<String, Object> training) {
        if (training != null && training.get("history") instanceof List<?> history && !history.isEmpty()) {
            if (history.get(history.size() - 1) instanceof Map<?, ?> last) {
                return String.valueOf(last.get("imagesPerSecond"));
            }
        }
        return "?";
    }
}
