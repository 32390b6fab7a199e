package io.lctserve.core.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A named early-exit setting, calibrated on validation data. The exit rule decides what the
 * setting means:
 *
 * <ul>
 *   <li>{@code max_softmax} (the default when {@code rule} is absent, the paper's rule):
 *       {@code thresholds[k]} in [0, 1] is the confidence head k must reach to answer;
 *   <li>{@code entropy} (BranchyNet): head k answers when the entropy of its softmax, in nats, is
 *       below {@code thresholds[k]} (>= 0);
 *   <li>{@code patience} (PABEE): a head answers once {@code patience} consecutive heads, ending
 *       with it, predict the same class; no thresholds.
 * </ul>
 *
 * In every rule the last head answers when no earlier head did.
 *
 * @param rule {@code max_softmax}, {@code entropy} or {@code patience}; null means max_softmax
 * @param thresholds one per head (max_softmax and entropy)
 * @param patience consecutive agreeing heads (patience rule only)
 * @param testAccuracy accuracy of this preset on the test set
 * @param meanMacsFraction mean cost per sample as a fraction of the full model's MACs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Preset(
        String rule, List<Double> thresholds, Integer patience, Double testAccuracy, Double meanMacsFraction) {

    public static final String MAX_SOFTMAX = "max_softmax";
    public static final String ENTROPY = "entropy";
    public static final String PATIENCE = "patience";

    public Preset {
        thresholds = thresholds == null ? null : List.copyOf(thresholds);
    }

    /** A max-softmax preset, written exactly as DESIGN.md's {thresholds, testAccuracy, meanMacsFraction}. */
    public Preset(List<Double> thresholds, Double testAccuracy, Double meanMacsFraction) {
        this(null, thresholds, null, testAccuracy, meanMacsFraction);
    }

    /** The rule this preset uses; max_softmax when the manifest names none. */
    public String ruleOrDefault() {
        return rule == null ? MAX_SOFTMAX : rule;
    }
}
