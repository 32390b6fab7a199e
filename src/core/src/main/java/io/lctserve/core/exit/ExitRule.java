package io.lctserve.core.exit;

import io.lctserve.core.manifest.Preset;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * When a head may answer in early-exit mode. Serving, calibration, evaluation and reports all
 * decide with these; in every rule the last head run answers when no earlier head did.
 *
 * <p>In a manifest a rule is a preset's {@code rule} field and its setting:
 * {@code {"thresholds": [..]}} for max-softmax ({@code rule} left out: the default),
 * {@code {"rule": "entropy", "entropy": [..]}}, {@code {"rule": "patience", "patience": n}}.
 */
public sealed interface ExitRule permits ExitRule.MaxSoftmax, ExitRule.Entropy, ExitRule.Patience {

    String MAX_SOFTMAX = "max_softmax";
    String ENTROPY = "entropy";
    String PATIENCE = "patience";

    /** Every rule's wire name, for messages: {@code max_softmax, entropy or patience}. */
    String NAMES = MAX_SOFTMAX + ", " + ENTROPY + " or " + PATIENCE;

    /** The name requests and manifests use. */
    String wireName();

    /** Whether {@code output}, the answer of head {@code head}, is the answer. */
    boolean exits(int head, HeadOutput output);

    /** The setting alone, for people: {@code [0.7, 0.3, 0.3, 0]} or {@code 2 heads agree}. */
    String setting();

    /** This rule as a manifest preset, with what it measured. */
    Preset toPreset(Double testAccuracy, Double meanMacsFraction);

    /** The rule a manifest preset describes; {@link #problems} must have found none. */
    static ExitRule of(Preset preset) {
        return PresetForm.rule(preset);
    }

    /** What is wrong with a manifest preset's rule and setting for a model of {@code heads} heads. */
    static List<RuleProblem> problems(Preset preset, int heads) {
        return PresetForm.problems(preset, heads);
    }

    private static List<Double> list(double[] values) {
        return Arrays.stream(values).boxed().toList();
    }

    private static String format(double[] values) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < values.length; k++) {
            sb.append(k > 0 ? ", " : "").append(trim(values[k]));
        }
        return sb.append(']').toString();
    }

    private static String trim(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }

    /**
     * The paper's rule: head k answers when its largest probability reaches {@code thresholds[k]}.
     *
     * @param thresholds one per head, in [0, 1]
     */
    record MaxSoftmax(double[] thresholds) implements ExitRule {

        public MaxSoftmax {
            thresholds = thresholds.clone();
            for (double t : thresholds) {
                String problem = problem(t);
                if (problem != null) {
                    throw new IllegalArgumentException("threshold " + problem);
                }
            }
        }

        /** One threshold for every head. */
        public static MaxSoftmax everyHead(int heads, double threshold) {
            double[] t = new double[heads];
            Arrays.fill(t, threshold);
            return new MaxSoftmax(t);
        }

        /** Why {@code threshold} cannot be one, or null. */
        public static String problem(double threshold) {
            return threshold >= 0 && threshold <= 1 ? null : "must be in [0, 1], was " + trim(threshold);
        }

        @Override
        public String wireName() {
            return MAX_SOFTMAX;
        }

        @Override
        public boolean exits(int head, HeadOutput output) {
            return output.confidence() >= thresholds[head];
        }

        @Override
        public String setting() {
            return format(thresholds);
        }

        @Override
        public Preset toPreset(Double testAccuracy, Double meanMacsFraction) {
            return new Preset(null, list(thresholds), null, null, testAccuracy, meanMacsFraction, null);
        }

        @Override
        public double[] thresholds() {
            return thresholds.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MaxSoftmax m && Arrays.equals(thresholds, m.thresholds);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(thresholds);
        }

        @Override
        public String toString() {
            return MAX_SOFTMAX + " " + setting();
        }
    }

    /**
     * BranchyNet's rule: head k answers when the entropy of its softmax is below {@code bounds[k]}.
     *
     * @param bounds one per head, in nats, >= 0 (0: the head never answers)
     */
    record Entropy(double[] bounds) implements ExitRule {

        public Entropy {
            bounds = bounds.clone();
            for (double b : bounds) {
                String problem = problem(b);
                if (problem != null) {
                    throw new IllegalArgumentException("entropy bound " + problem);
                }
            }
        }

        /** One bound for every head. */
        public static Entropy everyHead(int heads, double bound) {
            double[] b = new double[heads];
            Arrays.fill(b, bound);
            return new Entropy(b);
        }

        /** Why {@code bound} cannot be one, or null. */
        public static String problem(double bound) {
            return bound >= 0 && bound < Double.POSITIVE_INFINITY
                    ? null
                    : "must be a number of nats >= 0, was " + trim(bound);
        }

        @Override
        public String wireName() {
            return ENTROPY;
        }

        @Override
        public boolean exits(int head, HeadOutput output) {
            return output.entropy() < bounds[head];
        }

        @Override
        public String setting() {
            return format(bounds);
        }

        @Override
        public Preset toPreset(Double testAccuracy, Double meanMacsFraction) {
            return new Preset(ENTROPY, null, list(bounds), null, testAccuracy, meanMacsFraction, null);
        }

        @Override
        public double[] bounds() {
            return bounds.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entropy e && Arrays.equals(bounds, e.bounds);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bounds);
        }

        @Override
        public String toString() {
            return ENTROPY + " " + setting();
        }
    }

    /**
     * PABEE's rule: a head answers once {@code heads} consecutive heads, ending with it, predict
     * the same class.
     *
     * @param heads at least 1
     */
    record Patience(int heads) implements ExitRule {

        public Patience {
            if (heads < 1) {
                throw new IllegalArgumentException("patience must be at least 1 head, was " + heads);
            }
        }

        /** Why {@code heads} cannot be the patience of a model with {@code modelHeads} heads, or null. */
        public static String problem(Integer heads, int modelHeads) {
            return heads != null && heads >= 1 && heads <= modelHeads
                    ? null
                    : "needs how many consecutive heads must agree (1.." + modelHeads + "), was " + heads;
        }

        @Override
        public String wireName() {
            return PATIENCE;
        }

        @Override
        public boolean exits(int head, HeadOutput output) {
            return output.agreeingHeads() >= heads;
        }

        @Override
        public String setting() {
            return heads == 1 ? "1 head, no agreement" : heads + " heads agree";
        }

        @Override
        public Preset toPreset(Double testAccuracy, Double meanMacsFraction) {
            return new Preset(PATIENCE, null, null, heads, testAccuracy, meanMacsFraction, null);
        }
    }
}
