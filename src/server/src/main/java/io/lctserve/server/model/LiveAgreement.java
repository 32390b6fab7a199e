package io.lctserve.server.model;

import io.lctserve.core.manifest.Preset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How often one model version's early answers differ from its last head's on live traffic, per
 * preset: over the last {@code window} verified samples, with a 95 % Wilson interval, beside the
 * rate the calibrator measured on the validation split (the manifest's
 * {@code validationDisagreement}). A preset is "above calibration" when the interval's lower bound
 * is above the calibrated rate: the live rate is higher with 95 % confidence.
 */
public final class LiveAgreement {

    /** Verified samples a preset needs before its state says more than "collecting". */
    static final int MINIMUM = 100;

    private static final double Z = 1.96;

    /** One preset's live numbers. {@code calibrated} is null for a manifest that did not record it. */
    public record Snapshot(
            String preset,
            long verified,
            int window,
            double disagreement,
            double lower,
            double upper,
            Double calibrated,
            String state) {}

    private final int size;
    private final Map<String, Double> calibrated = new ConcurrentHashMap<>();
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    LiveAgreement(Map<String, Preset> presets, int size) {
        this.size = size;
        presets.forEach((name, p) -> {
            if (p.validationDisagreement() != null) {
                calibrated.put(name, p.validationDisagreement());
            }
        });
    }

    /** Counts one verified sample of {@code preset}; returns its state when this sample changed it, else null. */
    public String record(String preset, boolean agreed) {
        Window w = windows.computeIfAbsent(preset, p -> new Window(size));
        synchronized (w) {
            String before = w.state;
            w.add(!agreed);
            w.state = state(w.snapshot(preset, calibrated.get(preset)));
            return w.state.equals(before) ? null : w.state;
        }
    }

    /** Every preset verified so far. */
    public List<Snapshot> snapshot() {
        List<Snapshot> out = new ArrayList<>();
        windows.forEach((preset, w) -> {
            synchronized (w) {
                out.add(w.snapshot(preset, calibrated.get(preset))); // its state as of its last sample
            }
        });
        out.sort((a, b) -> a.preset().compareTo(b.preset()));
        return out;
    }

    private static String state(Snapshot s) {
        if (s.window() < MINIMUM) {
            return "collecting";
        }
        if (s.calibrated() == null) {
            return "not calibrated";
        }
        return s.lower() > s.calibrated() ? "above calibration" : "as calibrated";
    }

    /** The 95 % Wilson score interval of {@code k} successes in {@code n} trials. */
    static double[] wilson(long k, long n) {
        if (n == 0) {
            return new double[] {0, 1};
        }
        double p = k / (double) n;
        double z2 = Z * Z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }

    /** The last {@code size} outcomes (true: the answers differed). */
    private static final class Window {
        final boolean[] differed;
        int next;
        int filled;
        int differing;
        long total;
        String state = "collecting";

        Window(int size) {
            differed = new boolean[size];
        }

        void add(boolean differ) {
            if (filled == differed.length) {
                differing -= differed[next] ? 1 : 0;
            } else {
                filled++;
            }
            differed[next] = differ;
            differing += differ ? 1 : 0;
            next = (next + 1) % differed.length;
            total++;
        }

        Snapshot snapshot(String preset, Double calibrated) {
            double[] interval = wilson(differing, filled);
            return new Snapshot(
                    preset,
                    total,
                    filled,
                    filled == 0 ? 0 : differing / (double) filled,
                    interval[0],
                    interval[1],
                    calibrated,
                    state);
        }
    }
}
