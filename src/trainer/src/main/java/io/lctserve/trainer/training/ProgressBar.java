package io.lctserve.trainer.training;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One line per epoch: a bar, mean loss, per-head training accuracy, images/s and ETA. Redrawn in
 * place on a terminal; on a log (CI) it prints at every quarter instead.
 */
final class ProgressBar {

    private static final int WIDTH = 24;
    private final PrintStream out;
    private final boolean terminal;
    private int lastQuarter = -1;

    ProgressBar(PrintStream out) {
        this.out = out;
        this.terminal = System.console() != null;
    }

    void update(
            int epoch,
            int epochs,
            int done,
            int total,
            double loss,
            double[] headAccuracy,
            double imagesPerSecond,
            double etaSeconds) {
        int quarter = 4 * done / total;
        if (!terminal && quarter == lastQuarter && done != total) {
            return;
        }
        lastQuarter = quarter;
        int filled = WIDTH * done / total;
        StringBuilder acc = new StringBuilder();
        for (double a : headAccuracy) {
            acc.append(acc.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.3f", a));
        }
        String line = String.format(
                Locale.ROOT,
                "epoch %d/%d [%s%s] %3d%% loss %.4f head acc [%s] %.0f img/s ETA %s",
                epoch,
                epochs,
                "=".repeat(filled),
                " ".repeat(WIDTH - filled),
                100 * done / total,
                loss,
                acc,
                imagesPerSecond,
                formatSeconds(etaSeconds));
        if (terminal) {
            out.print("\r" + line + (done == total ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    static String formatSeconds(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }
}
