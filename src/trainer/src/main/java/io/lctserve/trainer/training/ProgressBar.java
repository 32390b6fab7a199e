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
    private int finishedEpoch;

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
            double etaSeconds,
            String detail) {
        int quarter = 4 * done / total;
        if (done == total ? epoch == finishedEpoch : !terminal && (quarter == lastQuarter || done == 0)) {
            return; // each epoch's last line once; on a log, a line per quarter
        }
        if (done == total) {
            finishedEpoch = epoch;
        }
        lastQuarter = quarter;
        int filled = WIDTH * done / total;
        StringBuilder acc = new StringBuilder();
        for (double a : headAccuracy) {
            acc.append(acc.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.3f", a));
        }
        String line = String.format(
                Locale.ROOT,
                "epoch %d/%d [%s%s] %3d%% loss %.4f head acc [%s] %.0f img/s ETA %s%s",
                epoch,
                epochs,
                "=".repeat(filled),
                " ".repeat(WIDTH - filled),
                100 * done / total,
                loss,
                acc,
                imagesPerSecond,
                formatSeconds(etaSeconds),
                detail);
        if (terminal) {
            out.print("\r" + line + "\033[K" + (done == total ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** A line of its own between bars (a redrawn bar resumes below it). */
    void note(String line) {
        out.println(terminal ? "\r" + line + "\033[K" : line);
        out.flush();
    }

    static String formatSeconds(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }
}
