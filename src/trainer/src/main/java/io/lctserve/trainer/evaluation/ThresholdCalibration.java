package io.lctserve.trainer.evaluation;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Chooses exit settings on validation data (never the test set): for each accuracy budget, the
 * setting with the lowest mean MACs whose accuracy stays within the budget of the full model's (the
 * last head alone). Per-head max-softmax thresholds and per-head entropy bounds are searched
 * exhaustively over a grid, one value per non-final head; patience over every head count.
 */
public final class ThresholdCalibration {

    /** Candidate max-softmax thresholds; a value above 1 means "this head never answers". */
    static final double[] GRID = {
        0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999, 1.01
    };

    /** Candidate entropy bounds in nats; a negative bound means "this head never answers". */
    static final double[] ENTROPY_GRID = {
        -1, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0, 1.3, 1.6, 2.0
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

    /** The cheapest max-softmax thresholds whose validation accuracy is within budget; in [0, 1], last head 0. */
    public static ExitAnalysis.Outcome calibrate(ExitAnalysis validation, double budget) {
        double[] t = search(validation, budget, GRID, validation::earlyExit).thresholds();
        for (int k = 0; k < t.length; k++) {
            t[k] = k == t.length - 1 ? 0.0 : Math.min(1.0, t[k]);
        }
        return validation.earlyExit(t);
    }

    /**
     * The cheapest per-head entropy bounds whose validation accuracy is within budget; "never" is
     * written as 0 (no softmax has negative entropy) and the last head as ln(classes), the largest.
     */
    public static ExitAnalysis.Outcome calibrateEntropy(ExitAnalysis validation, double budget) {
        double[] t = search(validation, budget, ENTROPY_GRID, validation::earlyExitByEntropy)
                .thresholds();
        for (int k = 0; k < t.length; k++) {
            t[k] = k == t.length - 1 ? Math.ceil(Math.log(validation.classes()) * 1e4) / 1e4 : Math.max(0.0, t[k]);
        }
        return validation.earlyExitByEntropy(t);
    }

    /** The fewest agreeing heads whose validation accuracy is within budget (all heads always is). */
    public static ExitAnalysis.Outcome calibratePatience(ExitAnalysis validation, double budget) {
        double full = validation.headAccuracy()[validation.heads() - 1];
        ExitAnalysis.Outcome best = null;
        for (int k = 1; k <= validation.heads(); k++) {
            ExitAnalysis.Outcome o = validation.earlyExitByPatience(k);
            if (o.accuracy() >= full - budget - 1e-12 && (best == null || better(o, best))) {
                best = o;
            }
        }
        return best;
    }

    private static ExitAnalysis.Outcome search(
            ExitAnalysis validation, double budget, double[] grid, Function<double[], ExitAnalysis.Outcome> rule) {
        int heads = validation.heads();
        double full = validation.headAccuracy()[heads - 1];
        double[] setting = new double[heads];
        setting[heads - 1] = grid[0];
        ExitAnalysis.Outcome best = null;
        int[] index = new int[heads - 1];
        while (true) {
            for (int k = 0; k < heads - 1; k++) {
                setting[k] = grid[index[k]];
            }
            ExitAnalysis.Outcome o = rule.apply(setting);
            if (o.accuracy() >= full - budget - 1e-12 && (best == null || better(o, best))) {
                best = o;
            }
            int k = 0;
            while (k < heads - 1 && ++index[k] == grid.length) {
                index[k++] = 0;
            }
            if (k == heads - 1) {
                return best; // never null: "no early head answers" is on the grid and is the full model
            }
        }
    }

    private static boolean better(ExitAnalysis.Outcome a, ExitAnalysis.Outcome b) {
        return a.meanMacsFraction() < b.meanMacsFraction() - 1e-12
                || (Math.abs(a.meanMacsFraction() - b.meanMacsFraction()) <= 1e-12 && a.accuracy() > b.accuracy());
    }
}
