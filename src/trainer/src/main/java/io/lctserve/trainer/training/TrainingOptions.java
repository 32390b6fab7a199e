package io.lctserve.trainer.training;

/**
 * Settings of one training run. Defaults follow the paper where they fit a CPU budget: SGD with
 * momentum 0.9 and weight decay 5e-4 for the main network, Adam for the critics (both with
 * cosine decay after a short warm-up), batch 128.
 *
 * @param criticCeWeight weight of an added cross-entropy term in each critic's loss; 0 is the
 *     paper's pure cascaded loss
 */
public record TrainingOptions(
        TrainingMode mode,
        int epochs,
        int batchSize,
        float learningRate,
        float momentum,
        float weightDecay,
        float criticLearningRate,
        float criticCeWeight,
        boolean augment,
        long seed) {

    public static TrainingOptions defaults() {
        return new TrainingOptions(TrainingMode.LCT, 15, 128, 0.05f, 0.9f, 5e-4f, 1e-3f, 0f, true, 42L);
    }

    public TrainingOptions {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 2) {
            throw new IllegalArgumentException("batch size must be >= 2 (batch norm), got " + batchSize);
        }
        if (!(learningRate > 0) || !(criticLearningRate > 0)) {
            throw new IllegalArgumentException("learning rates must be positive");
        }
        if (criticCeWeight < 0) {
            throw new IllegalArgumentException("critic CE weight must be >= 0, got " + criticCeWeight);
        }
    }
}
