package io.lctserve.trainer.cli;

import io.lctserve.core.data.ImageFolderReader;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The progress of reading an image folder: a bar redrawn in place on a terminal, a line per tenth
 * on a log, and the rate when a step ends (the number a decoding benchmark reads).
 */
final class PictureProgress implements ImageFolderReader.Progress {

    private static final int WIDTH = 24;
    private final PrintWriter out;
    private final boolean terminal = System.console() != null;
    private String step;
    private long started;
    private int lastTenth = -1;

    PictureProgress(PrintWriter out) {
        this.out = out;
    }

    @Override
    public synchronized void update(String step, int done, int total) {
        if (!step.equals(this.step)) {
            this.step = step;
            started = System.nanoTime();
            lastTenth = -1;
        }
        int tenth = total == 0 ? 10 : 10 * done / total;
        if (!terminal && tenth == lastTenth && done < total) {
            return;
        }
        lastTenth = tenth;
        double seconds = (System.nanoTime() - started) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        int filled = total == 0 ? WIDTH : WIDTH * done / total;
        String line = String.format(
                Locale.ROOT,
                "%s [%s%s] %,d/%,d %.0f pictures/s",
                step,
                "=".repeat(filled),
                " ".repeat(WIDTH - filled),
                done,
                total,
                rate);
        if (done == total) {
            line = String.format(
                    Locale.ROOT, "%s: %,d pictures in %.1f s (%,.0f pictures/s)", step, total, seconds, rate);
        }
        if (terminal) {
            out.print("\r" + line + "\033[K" + (done == total ? "\n" : ""));
        } else if (done == total || tenth == 5) {
            out.println(line);
        }
        out.flush();
    }
}
