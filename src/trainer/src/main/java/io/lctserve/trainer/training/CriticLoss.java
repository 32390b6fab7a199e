package io.lctserve.trainer.training;

import java.util.Locale;

/**
 * What a local critic learns from under local critic training. Every choice keeps the LCT property
 * that no gradient crosses a stage boundary (stage k always learns from critic k's cross-entropy),
 * so every choice pipelines; they differ in how critic k itself learns.
 */
public enum CriticLoss {
    /**
     * The paper's cascaded loss: critic k learns to predict the next head's loss, {@code mean |L_k -
     * L_{k+1}|}, with Adam and no weight decay. It needs head k+1's loss on the same batch, so under
     * the pipeline critic k's update waits for it (a fixed lag of a few batches).
     */
    CASCADE("cascaded critic loss |L_k - L_{k+1}|, critics by Adam"),
    /**
     * Each critic learns its own cross-entropy together with its stage, in the stage's SGD with
     * weight decay (decoupled greedy learning, Belilovsky et al. 2020). Needs nothing from later stages.
     */
    CE("per-head cross-entropy, critics in the stage's SGD with weight decay"),
    /**
     * The cascaded loss plus a weighted cross-entropy, critics in the stage's SGD with weight decay
     * and gradient clipping (the paper's loss with the optimiser that keeps it stable).
     */
    HYBRID("cascaded critic loss + weighted cross-entropy, critics in the stage's SGD with weight decay, clipped");

    private final String description;

    CriticLoss(String description) {
        this.description = description;
    }

    public static CriticLoss parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown critic loss '" + s + "' (expected cascade, ce or hybrid)");
        }
    }

    /** Whether critic k learns from head k+1's loss on the same batch. */
    public boolean needsNextLoss() {
        return this != CE;
    }

    /** Whether critics share their stage's SGD (with weight decay) rather than the paper's Adam. */
    public boolean criticsInStageOptimizer() {
        return this != CASCADE;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String description() {
        return description;
    }
}
