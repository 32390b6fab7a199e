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

    /** Verified samples a preset needs before its state says more than "collecting" (or it can meet a contract). */
    public static final int MINIMUM = 100;

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
    private final Map<String, Double> driftFrom = new ConcurrentHashMap<>();
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    /**
     * @param validationImages the validation images the calibrated rates were measured on (0 if not
     *     recorded): a drift is a live rate above what they could have measured
     */
    LiveAgreement(Map<String, Preset> presets, int size, int validationImages) {
        this.size = size;
        presets.forEach((name, p) -> {
            if (p.validationDisagreement() != null) {
                calibrated.put(name, p.validationDisagreement());
                double rate = p.validationDisagreement();
                driftFrom.put(
                        name,
                        validationImages > 0 ? wilson(Math.round(rate * validationImages), validationImages)[1] : rate);
            }
        });
    }

    /**
     * The rate a preset's live answers are tested against for a drift: the upper end of the 95 %
     * interval of its calibrated rate, which was itself measured on a few thousand validation images
     * (version 3's fast: 4.0 % of 5,000, up to 4.57 %). A test set differs from the training
     * distribution the validation split comes from (fast: 4.71 % on the test images) without any
     * drift; testing against the point value would call that a drift on long clean runs. Null if
     * not calibrated.
     */
    public Double driftFrom(String preset) {
        return driftFrom.get(preset);
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

    /** One preset's live numbers; null before its first verified sample. */
    public Snapshot of(String preset) {
        Window w = windows.get(preset);
        if (w == null) {
            return null;
        }
        synchronized (w) {
            return w.snapshot(preset, calibrated.get(preset));
        }
    }

    /**
     * Newest-sample spans a drift is looked for over: a short one sees a sudden drift within a few
     * hundred verified samples, the whole window a slow one.
     */
    public static final int[] DRIFT_SPANS = {250, 500, 1000};

    /**
     * A drift must be this sure (one-sided, 99.95 %): it is looked for after every verified batch, on
     * several spans, for every preset.
     */
    public static final double DRIFT_ALPHA = 0.0005;

    /**
     * Whether a preset's answers drifted: over the newest 250, 500 or 1,000 verified samples, or the
     * whole window once it holds 250, more answers differ from the last head than the calibrated rate
     * explains ({@link #above}, against {@link #driftFrom}). Returns the shortest such span, or 0.
     * Fewer than 250 say too little: the first 176 clean test images alone put fast's share at 9.1 %
     * against its calibrated 4.0 % (4.71 % over the whole test set).
     */
    public int driftSpan(String preset) {
        Window w = windows.get(preset);
        Double rate = driftFrom.get(preset);
        if (w == null || rate == null) {
            return 0;
        }
        synchronized (w) {
            for (int span : DRIFT_SPANS) {
                if (span < w.filled && above(w.newestDiffering(span), span, rate)) {
                    return span;
                }
            }
            return w.filled >= DRIFT_SPANS[0] && above(w.differing, w.filled, rate) ? w.filled : 0;
        }
    }

    /** Forgets a preset's window (its setting changed: what it holds described the old one). */
    public void reset(String preset) {
        windows.remove(preset);
    }

    /** The rate the calibrator measured for a preset on the validation split; null if not recorded. */
    public Double calibrated(String preset) {
        return calibrated.get(preset);
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

    /**
     * Whether {@code k} differing of {@code n} is more than {@code rate} explains with {@link
     * #DRIFT_ALPHA}: the exact binomial probability of {@code k} or more, at that rate, is below it
     * (the one-sided test a Clopper-Pearson lower bound above the rate makes; exact, since an
     * accurate preset differs on one answer in several hundred, where normal intervals misjudge).
     */
    public static boolean above(long k, long n, double rate) {
        return above(k, n, rate, DRIFT_ALPHA);
    }

    /** Whether {@code k} of {@code n} is more than {@code rate} explains: P(X >= k) at that rate below {@code alpha}. */
    public static boolean above(long k, long n, double rate, double alpha) {
        if (k <= n * rate || rate >= 1) {
            return false; // no more than the rate's own count: nothing to explain
        }
        if (rate <= 0) {
            return true;
        }
        // P(X >= k) = sum of the pmf from k to n, in logs: log pmf(i + 1) = log pmf(i) + log((n - i) / (i + 1) * p / q)
        double logRatio = Math.log(rate) - Math.log1p(-rate);
        double log = n * Math.log1p(-rate); // log pmf(0)
        for (long i = 0; i < k; i++) {
            log += Math.log((n - i) / (double) (i + 1)) + logRatio;
        }
        double first = log; // log pmf(k)
        double tail = 0;
        for (long i = k; i <= n; i++) {
            tail += Math.exp(log - first);
            log += Math.log((n - i) / (double) (i + 1)) + logRatio;
            if (i > k && log - first < -40) {
                break; // the rest adds nothing
            }
        }
        return first + Math.log(tail) < Math.log(alpha);
    }

    /** The 95 % Wilson score interval of {@code k} successes in {@code n} trials. */
    public static double[] wilson(long k, long n) {
        return wilson(k, n, Z);
    }

    /** The Wilson score interval of {@code k} successes in {@code n} trials, {@code z} standard errors wide each way. */
    static double[] wilson(long k, long n, double z) {
        if (n == 0) {
            return new double[] {0, 1};
        }
        double p = k / (double) n;
        double z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
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

        /** Differing outcomes among the newest {@code span} (at most the filled ones). */
        int newestDiffering(int span) {
            int count = 0;
            for (int i = 1; i <= Math.min(span, filled); i++) {
                count += differed[(next - i + differed.length) % differed.length] ? 1 : 0;
            }
            return count;
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
