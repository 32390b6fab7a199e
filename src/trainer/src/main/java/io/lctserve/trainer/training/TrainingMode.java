package io.lctserve.trainer.training;

import java.util.Locale;

/** How the stages learn. */
public enum TrainingMode {
    /**
     * Local critic training (the paper's): stage k < N-1 learns only from its own critic's
     * cross-entropy, its input detached; the last stage and the main classifier by backprop of the
     * main loss; critic k learns the cascaded loss mean|L_k - L_{k+1}|.
     */
    LCT,
    /**
     * Plain backprop of the main loss through every stage (the baseline). Critics learn
     * cross-entropy on detached features, so every head exists for comparison.
     */
    BACKPROP;

    public static TrainingMode parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown training mode '" + s + "' (expected lct or backprop)");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
