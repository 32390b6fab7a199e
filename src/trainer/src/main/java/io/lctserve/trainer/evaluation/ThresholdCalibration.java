package io.lctserve.trainer.evaluation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Chooses per-head max-softmax thresholds on validation data (never the test set): for each
 * accuracy budget, the thresholds with the lowest mean MACs whose accuracy stays within the budget
 * of the full model's (the last head alone). Exhaustive over a grid, one value per non-final head.
 */
public final class ThresholdCalibration {

    /** Candidate thresholds; a value above 1 means "this head never answers". */
    static final double[] GRID = {
        0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999, 1.01
    };

    /** The presets every shipped model carries, with their accuracy budgets (fractions). */
    public static final Map<String, Double> BUDGETS = budgets();

    private ThresholdCalibration() {}

    private static Map<String, Double> budgets() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("accurate", 0.001);
        m.put("balanced", 0.005);
        m.put("fast", 0.015);
        return m;
    }

    /** The cheapest thresholds whose validation accuracy is at least full-model accuracy minus budget. */
    public static ExitAnalysis.Outcome calibrate(ExitAnalysis validation, double budget) {
        int heads = validation.heads();
        double full = validation.headAccuracy()[heads - 1];
        double[] thresholds = new double[heads];
        ExitAnalysis.Outcome best = validation.earlyExit(never(heads));
        int[] index = new int[heads - 1];
        while (true) {
            for (int k = 0; k < heads - 1; k++) {
                thresholds[k] = GRID[index[k]];
            }
            ExitAnalysis.Outcome o = validation.earlyExit(thresholds);
            if (o.accuracy() >= full - budget - 1e-12 && better(o, best)) {
                best = o;
            }
            int k = 0;
            while (k < heads - 1 && ++index[k] == GRID.length) {
                index[k++] = 0;
            }
            if (k == heads - 1) {
                return withCappedThresholds(validation, best);
            }
        }
    }

    private static boolean better(ExitAnalysis.Outcome a, ExitAnalysis.Outcome b) {
        return a.meanMacsFraction() < b.meanMacsFraction() - 1e-12
                || (Math.abs(a.meanMacsFraction() - b.meanMacsFraction()) <= 1e-12 && a.accuracy() > b.accuracy());
    }

    /** Thresholds live in [0, 1]: "never answers" becomes 1.0, the last head 0.0. */
    private static ExitAnalysis.Outcome withCappedThresholds(ExitAnalysis validation, ExitAnalysis.Outcome o) {
        double[] t = o.thresholds().clone();
        for (int k = 0; k < t.length; k++) {
            t[k] = k == t.length - 1 ? 0.0 : Math.min(1.0, t[k]);
        }
        return validation.earlyExit(t);
    }

    private static double[] never(int heads) {
        double[] t = new double[heads];
        java.util.Arrays.fill(t, 1.01);
        t[heads - 1] = 0;
        return t;
    }
}
