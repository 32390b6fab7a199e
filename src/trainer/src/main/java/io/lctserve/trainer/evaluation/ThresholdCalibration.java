package io.lctserve.trainer.evaluation;

import io.lctserve.core.exit.ExitRule;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Chooses exit settings on validation data (never the test set): for each accuracy budget, the
 * setting with the fewest mean MACs whose accuracy stays within the budget of the full model's
 * (the last head alone). Per-head max-softmax thresholds and per-head entropy bounds are searched
 * exhaustively over a grid, one value per non-final head; patience over every head count. What is
 * searched is exactly what will be served: the same rules, the same compute.
 */
public final class ThresholdCalibration {

    /** Candidate max-softmax thresholds; 1.0 lets a head answer only when it is certain. */
    static final double[] GRID = {
        0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999, 1.0
    };

    /** Candidate entropy bounds in nats; 0 means "this head never answers" (no entropy is below 0). */
    static final double[] ENTROPY_GRID = {
        0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0, 1.3, 1.6, 2.0
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

    /** The cheapest per-head max-softmax thresholds within budget; the last head's is written as 0 (it always answers). */
    public static ExitAnalysis.Outcome calibrate(ExitAnalysis validation, double budget) {
        return search(validation, budget, GRID, 0.0, ExitRule.MaxSoftmax::new);
    }

    /**
     * The cheapest per-head entropy bounds within budget; the last head's is written as ln(classes),
     * rounded up: the largest entropy there is, since it always answers.
     */
    public static ExitAnalysis.Outcome calibrateEntropy(ExitAnalysis validation, double budget) {
        double last = Math.ceil(Math.log(validation.classes()) * 1e4) / 1e4;
        return search(validation, budget, ENTROPY_GRID, last, ExitRule.Entropy::new);
    }

    /** The fewest agreeing heads within budget (all heads always are: that is the full model's answer). */
    public static ExitAnalysis.Outcome calibratePatience(ExitAnalysis validation, double budget) {
        double floor = floor(validation, budget);
        ExitAnalysis.Outcome best = null;
        for (int k = 1; k <= validation.heads(); k++) {
            ExitAnalysis.Outcome o = validation.outcome(new ExitRule.Patience(k));
            if (o.accuracy() >= floor && (best == null || cheaper(o, best))) {
                best = o;
            }
        }
        return best;
    }

    private static double floor(ExitAnalysis validation, double budget) {
        return validation.headAccuracy()[validation.heads() - 1] - budget - 1e-12;
    }

    /** Every combination of grid values for the non-final heads, the last head set to {@code last}. */
    private static ExitAnalysis.Outcome search(
            ExitAnalysis validation, double budget, double[] grid, double last, Function<double[], ExitRule> rule) {
        int heads = validation.heads();
        double floor = floor(validation, budget);
        double[] setting = new double[heads];
        setting[heads - 1] = last;
        ExitAnalysis.Outcome best = null;
        int[] index = new int[heads - 1];
        while (true) {
            for (int k = 0; k < heads - 1; k++) {
                setting[k] = grid[index[k]];
            }
            ExitAnalysis.Outcome o = validation.outcome(rule.apply(setting));
            if (o.accuracy() >= floor && (best == null || cheaper(o, best))) {
                best = o;
            }
            int k = 0;
            while (k < heads - 1 && ++index[k] == grid.length) {
                index[k++] = 0;
            }
            if (k == heads - 1) {
                if (best == null) {
                    // Only possible for max-softmax: a threshold of 1 still lets certain heads answer.
                    throw new IllegalStateException("no " + rule.apply(setting).wireName() + " setting on the grid"
                            + " keeps validation accuracy within " + budget + " of the full model's");
                }
                return best;
            }
        }
    }

    private static boolean cheaper(ExitAnalysis.Outcome a, ExitAnalysis.Outcome b) {
        return a.meanMacsFraction() < b.meanMacsFraction() - 1e-12
                || (Math.abs(a.meanMacsFraction() - b.meanMacsFraction()) <= 1e-12 && a.accuracy() > b.accuracy());
    }
}
