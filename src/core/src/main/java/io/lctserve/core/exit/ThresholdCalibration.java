package io.lctserve.core.exit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Chooses exit settings on validation data (never the test set): for each accuracy budget, the
 * setting with the fewest mean MACs whose accuracy loss against the full model (the last head
 * alone) stays within the budget with 95 % confidence: the loss measured on the validation images
 * plus {@value #Z} standard errors of that paired estimate. Without the margin the cheapest setting
 * sits on the edge of the budget, and half the time unseen data finds it over (v1's accurate
 * preset: 0.1 pt promised, 0.23 pt lost on the test set). Per-head max-softmax thresholds and per-head entropy bounds are searched
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

    /** One-sided 95 % normal quantile: the margin, in standard errors, between the measured loss and the budget. */
    public static final double Z = 1.645;

    /** The presets every shipped model carries, with their accuracy budgets (fractions). */
    public static final Map<String, Double> BUDGETS = budgets();

    private ThresholdCalibration() {}

    /** The accuracy budget of a preset by its name ({@code balanced}, {@code balanced-entropy} ...); null for another name. */
    public static Double budget(String preset) {
        return BUDGETS.get(preset.split("-")[0]);
    }

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
        ExitAnalysis.Outcome best = null;
        for (int k = 1; k <= validation.heads(); k++) {
            ExitAnalysis.Outcome o = validation.outcome(new ExitRule.Patience(k));
            if (within(o, budget) && (best == null || cheaper(o, best))) {
                best = o;
            }
        }
        return best;
    }

    /**
     * The cheapest setting of {@code rule} ({@link ExitRule#MAX_SOFTMAX}, {@link ExitRule#ENTROPY} or
     * {@link ExitRule#PATIENCE}) within budget; null if none (patience only).
     */
    public static ExitAnalysis.Outcome calibrate(String rule, ExitAnalysis on, double budget) {
        return switch (rule) {
            case ExitRule.ENTROPY -> calibrateEntropy(on, budget);
            case ExitRule.PATIENCE -> calibratePatience(on, budget);
            default -> calibrate(on, budget);
        };
    }

    /**
     * The preset a trained model ships: the cheapest setting of {@code rule} that passes a test on
     * validation images its search never saw, chosen so that the search's many candidates cannot
     * pick one that is cheap by chance (the winner's curse: searching thousands of settings and taking
     * the cheapest within the margin found, on version 3, a balanced setting that lost 0.12 pt on the
     * validation images and 0.22 on the test set, and on the joint network accurate presets over
     * their budget). Learn then Test, fixed sequence (Angelopoulos et al. 2021): the even-numbered
     * validation images rank the settings (the cheapest at each loss bound, from the safest to the
     * cheapest), and the odd-numbered ones test them in that order, each within the budget with the
     * margin, stopping at the first that fails; the last one passed is chosen. The order does not
     * depend on the images that test it, so the chance that any passed setting breaks its budget is
     * at most 5 %, however many settings were searched. Patience has one fixed order (every head,
     * then one fewer ...), so it is tested on every validation image. The outcome returned is the
     * chosen setting's on all validation images; null if not even the safest setting passes
     * (patience), else the safest.
     */
    public static ExitAnalysis.Outcome calibrateHeldOut(String rule, ExitAnalysis validation, double budget) {
        if (ExitRule.PATIENCE.equals(rule)) {
            ExitAnalysis.Outcome passed = null;
            for (int k = validation.heads(); k >= 1; k--) {
                ExitAnalysis.Outcome o = validation.outcome(new ExitRule.Patience(k));
                if (!within(o, budget)) {
                    break;
                }
                passed = o;
            }
            return passed;
        }
        boolean entropy = ExitRule.ENTROPY.equals(rule);
        double[] grid = entropy ? ENTROPY_GRID : GRID;
        double last = entropy ? Math.ceil(Math.log(validation.classes()) * 1e4) / 1e4 : 0.0;
        Function<double[], ExitRule> make = entropy ? ExitRule.Entropy::new : ExitRule.MaxSoftmax::new;
        ExitAnalysis rank = validation.half(0);
        ExitAnalysis test = validation.half(1);
        List<ExitAnalysis.Outcome> ranked = new ArrayList<>();
        forEachSetting(rank.heads(), grid, last, setting -> ranked.add(rank.outcome(make.apply(setting))));
        ranked.sort(Comparator.comparingDouble(ExitAnalysis.Outcome::meanMacsFraction)
                .thenComparing(Comparator.comparingDouble(ExitAnalysis.Outcome::accuracy)
                        .reversed()));
        // the frontier: from the cheapest up, each setting whose bound is below every cheaper one's
        List<ExitAnalysis.Outcome> sequence = new ArrayList<>();
        double lowest = Double.POSITIVE_INFINITY;
        for (ExitAnalysis.Outcome o : ranked) {
            double bound = o.lossUpperBound(Z);
            if (bound < lowest - 1e-12) {
                sequence.add(o);
                lowest = bound;
            }
        }
        ExitRule chosen = sequence.get(sequence.size() - 1).rule(); // the safest, if none passes
        for (int i = sequence.size() - 1; i >= 0; i--) {
            ExitRule candidate = sequence.get(i).rule();
            if (!within(test.outcome(candidate), budget)) {
                break;
            }
            chosen = candidate;
        }
        return validation.outcome(chosen);
    }

    /** Calls {@code action} with every combination of grid values for the non-final heads, the last head's {@code last}. */
    private static void forEachSetting(int heads, double[] grid, double last, Consumer<double[]> action) {
        int[] index = new int[heads - 1];
        while (true) {
            double[] setting = new double[heads];
            for (int k = 0; k < heads - 1; k++) {
                setting[k] = grid[index[k]];
            }
            setting[heads - 1] = last;
            action.accept(setting);
            int k = 0;
            while (k < heads - 1 && ++index[k] == grid.length) {
                index[k++] = 0;
            }
            if (k == heads - 1) {
                return;
            }
        }
    }

    /** Whether the outcome's loss against the main head is within {@code budget} with the margin. */
    public static boolean within(ExitAnalysis.Outcome o, double budget) {
        return o.lossUpperBound(Z) <= budget + 1e-12;
    }

    /** Every combination of grid values for the non-final heads, the last head set to {@code last}. */
    private static ExitAnalysis.Outcome search(
            ExitAnalysis validation, double budget, double[] grid, double last, Function<double[], ExitRule> rule) {
        int heads = validation.heads();
        double[] setting = new double[heads];
        setting[heads - 1] = last;
        ExitAnalysis.Outcome best = null;
        ExitAnalysis.Outcome safest = null;
        int[] index = new int[heads - 1];
        while (true) {
            for (int k = 0; k < heads - 1; k++) {
                setting[k] = grid[index[k]];
            }
            ExitAnalysis.Outcome o = validation.outcome(rule.apply(setting));
            if (within(o, budget) && (best == null || cheaper(o, best))) {
                best = o;
            }
            if (safest == null || o.lossUpperBound(Z) < safest.lossUpperBound(Z)) {
                safest = o;
            }
            int k = 0;
            while (k < heads - 1 && ++index[k] == grid.length) {
                index[k++] = 0;
            }
            if (k == heads - 1) {
                // Only max-softmax can find none: a threshold of 1 still lets certain heads answer.
                // Then the setting with the smallest bound is the most the grid can promise.
                return best != null ? best : safest;
            }
        }
    }

    private static boolean cheaper(ExitAnalysis.Outcome a, ExitAnalysis.Outcome b) {
        return a.meanMacsFraction() < b.meanMacsFraction() - 1e-12
                || (Math.abs(a.meanMacsFraction() - b.meanMacsFraction()) <= 1e-12 && a.accuracy() > b.accuracy());
    }
}
