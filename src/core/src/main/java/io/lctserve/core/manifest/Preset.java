package io.lctserve.core.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A named early-exit setting calibrated on validation data, as the manifest writes it: an exit
 * rule with its setting (see {@link io.lctserve.core.exit.ExitRule}, which reads and writes this
 * form) and what the setting measured on the test set.
 *
 * @param rule {@code max_softmax} (also when absent), {@code entropy} or {@code patience}
 * @param thresholds max_softmax: the confidence head k must reach, one per head in [0, 1]
 * @param entropy entropy: the softmax entropy (nats) head k must stay below, one per head
 * @param patience patience: how many consecutive heads must agree
 * @param testAccuracy accuracy of this preset on the test set
 * @param meanMacsFraction mean MACs per test sample (every graph run for it, see
 *     {@link io.lctserve.core.exit.ComputeCost}) as a fraction of the full model's
 * @param validationDisagreement the share of validation samples this preset answers with another
 *     class than the last head's (the full model's answer): the rate live traffic is held to
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Preset(
        String rule,
        List<Double> thresholds,
        List<Double> entropy,
        Integer patience,
        Double testAccuracy,
        Double meanMacsFraction,
        Double validationDisagreement) {

    public Preset {
        if ("entropy".equals(rule) && entropy == null && thresholds != null) {
            // Manifests written before the exit rules had their own fields kept entropy bounds in
            // "thresholds"; they are read as they were meant and written in today's form.
            entropy = thresholds;
            thresholds = null;
        }
        thresholds = thresholds == null ? null : List.copyOf(thresholds);
        entropy = entropy == null ? null : List.copyOf(entropy);
    }

    /** This preset with its per-head values at four decimals, as manifests keep them. */
    public Preset rounded() {
        return new Preset(
                rule,
                round(thresholds),
                round(entropy),
                patience,
                testAccuracy,
                meanMacsFraction,
                validationDisagreement);
    }

    /** This preset with the share of validation answers that differ from the last head's. */
    public Preset withValidationDisagreement(double rate) {
        return new Preset(rule, thresholds, entropy, patience, testAccuracy, meanMacsFraction, rate);
    }

    private static List<Double> round(List<Double> values) {
        return values == null ? null : values.stream().map(Rounding::round).toList();
    }
}
