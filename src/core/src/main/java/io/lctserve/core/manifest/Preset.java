package io.lctserve.core.manifest;

import java.util.List;

/**
 * A named early-exit setting: a max-softmax threshold per head, calibrated on validation data.
 *
 * @param thresholds confidence a head must reach to answer, one per head, in [0, 1]
 * @param testAccuracy accuracy of this preset on the test set
 * @param meanMacsFraction mean cost per sample as a fraction of the full model's MACs
 */
public record Preset(List<Double> thresholds, Double testAccuracy, Double meanMacsFraction) {

    public Preset {
        thresholds = thresholds == null ? null : List.copyOf(thresholds);
    }
}
