package io.lctserve.trainer.training;

import java.util.Locale;

/** How the stages learn. */
public enum TrainingMode {
    /**
     * Local critic training (the paper's): stage k < N-1 learns only from its own critic's
     * cross-entropy, its input detached; the last stage and the main classifier from the main loss;
     * critic k as the {@link CriticLoss} says. No gradient crosses a stage boundary, so the stages
     * can train in a pipeline.
     */
    LCT,
    /**
     * Every head's cross-entropy backpropagated through the whole network (the multi-exit training of
     * SDN and BranchyNet): early heads steer every stage before them.
     */
    JOINT,
    /**
     * Plain backprop of the main loss through every stage (the baseline). Critics learn
     * cross-entropy on detached features (probe heads), so every head exists for comparison.
     */
    BACKPROP;

    public static TrainingMode parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown training mode '" + s + "' (expected lct, joint or backprop)");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
