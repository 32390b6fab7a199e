package io.lctserve.server.model;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How deep one model version's preset answers go on live traffic, against how deep they went where
 * the setting was chosen: a change in the inputs that the model shows on every answer, without
 * running anything again. Moved images make version 4's heads less sure: balanced's mean MACs go
 * from 0.22 of the full model to 0.30, which the server saw within 750 moved requests, where the
 * share of answers that differ from the last head (1.75 % against 0.94 % calibrated) needs thousands
 * of verified ones. Per preset, each answer's MACs (as a fraction of the full model's) at the setting
 * served, the newest {@value #SPAN} kept; the traffic has <em>moved</em> when their mean is more
 * than a share {@value #MARGIN} of the expected value away from it, beyond {@value #Z} standard
 * errors (one-sided 0.05 % each way), tested every {@value #EVERY} answers once the window is full.
 * (By the normal approximation a window of 250 on traffic 5 % deeper than expected would move by
 * chance in about one run of 50,000 answers in fifty: too often for a signal that raises the
 * verified share.) The margin keeps a test set and live traffic that differ a little from counting
 * as moved on clean traffic (version 4's balanced: 0.2167 live, 0.2185 on the test set). A shift is
 * an event for the whole model version (the inputs moved, whatever preset showed it): {@link
 * #shift()} tells verification and recalibration. Only answers the preset's setting gave alone
 * count (no {@code max_stage}, no deadline cut).
 */
public final class ExitProfile {

    /** Newest answers kept per preset. */
    public static final int SPAN = 1000;

    /** Share of the expected mean MACs a live mean may differ by before it can count as moved. */
    public static final double MARGIN = 0.10;

    /** Standard errors beyond the margin: one-sided 0.05 %. */
    static final double Z = 3.29;

    /** Answers between tests of one preset. */
    static final int EVERY = 50;

    /**
     * The newest shift: which preset showed it, its live and expected mean MACs, when, and how many
     * live samples (verified) the model had then ({@link LiveSamples#added}), where evidence for
     * recalibration starts.
     */
    public record Shift(
            long id, String preset, double live, double expected, int answers, Instant when, long liveSamplesAt) {

        /** {@code deeper} (answers go further than calibrated, the usual sign of unfamiliar inputs) or {@code shallower}. */
        public String direction() {
            return live > expected ? "deeper" : "shallower";
        }
    }

    /** One preset's numbers: answers kept, their mean MACs and the value expected; moved if now shifted. */
    public record Snapshot(String preset, int answers, double live, double expected, boolean moved) {}

    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private volatile Shift shift;
    private long shifts; // guarded by this

    /**
     * Records one answer of {@code preset} at {@code fraction} of the full model's MACs, its setting
     * expected to average {@code expected}, when the model had {@code liveSamples} live samples;
     * returns the shift it revealed, or null. A preset that showed a shift shows another only after
     * the mean of its window has come back within the margin.
     */
    public Shift record(String preset, double fraction, double expected, long liveSamples) {
        Window w = windows.computeIfAbsent(preset, p -> new Window(expected));
        double[] moved;
        synchronized (w) {
            if (w.expected != expected) { // its setting changed: what the window holds described the old one
                w.clear(expected);
            }
            w.add(fraction);
            if (w.count % EVERY != 0 || w.filled < SPAN) {
                return null;
            }
            if (w.shifted) {
                w.shifted = !w.settled();
                return null;
            }
            moved = w.moved();
            if (moved == null) {
                return null;
            }
            w.shifted = true;
        }
        synchronized (this) {
            Shift s = new Shift(++shifts, preset, moved[0], expected, (int) moved[1], Instant.now(), liveSamples);
            shift = s;
            return s;
        }
    }

    /** Whether a mean of MACs is within {@link #MARGIN} of the expected one (no test: a point estimate). */
    public static boolean within(double live, double expected) {
        return Math.abs(live - expected) <= MARGIN * expected;
    }

    /** The newest shift this model version's traffic showed; null if none. */
    public Shift shift() {
        return shift;
    }

    /** Every preset answered so far. */
    public List<Snapshot> snapshot() {
        List<Snapshot> out = new ArrayList<>();
        windows.forEach((preset, w) -> {
            synchronized (w) {
                out.add(new Snapshot(preset, w.filled, w.mean(w.filled), w.expected, w.shifted));
            }
        });
        out.sort((a, b) -> a.preset().compareTo(b.preset()));
        return out;
    }

    /** The newest answers' MACs of one preset, in a ring. */
    private static final class Window {
        final float[] values = new float[SPAN];
        double expected;
        int next;
        int filled;
        long count;
        boolean shifted;

        Window(double expected) {
            this.expected = expected;
        }

        void clear(double newExpected) {
            expected = newExpected;
            next = 0;
            filled = 0;
            shifted = false;
        }

        void add(double fraction) {
            values[next] = (float) fraction;
            next = (next + 1) % SPAN;
            filled = Math.min(filled + 1, SPAN);
            count++;
        }

        /** {mean, answers} of the window if it moved, else null. */
        double[] moved() {
            double mean = mean(filled);
            double var = 0;
            for (int i = 0; i < filled; i++) {
                double d = values[i] - mean;
                var += d * d;
            }
            double se = Math.sqrt(var / (filled - 1) / filled);
            return Math.abs(mean - expected) - MARGIN * expected > Z * se ? new double[] {mean, filled} : null;
        }

        /** A shifted window is back when the mean of all it keeps is within the margin (no test: hysteresis). */
        boolean settled() {
            return within(mean(filled), expected);
        }

        double mean(int span) {
            if (span == 0) {
                return Double.NaN;
            }
            double sum = 0;
            for (int i = 0; i < span; i++) {
                sum += values[(next - 1 - i + SPAN) % SPAN];
            }
            return sum / span;
        }
    }
}
