package io.lctserve.trainer.training;

/**
 * Settings of one training run. Defaults follow the paper where they fit a CPU budget (SGD with
 * momentum 0.9 and weight decay 5e-4, cosine decay after a linear warm-up counted in optimizer steps,
 * batch 128) except the critics' loss: per-head cross-entropy, which beat the paper's cascade at every
 * budget measured (docs/TRAINING.md).
 *
 * @param criticCeWeight weight of the cross-entropy term in the hybrid critic loss
 * @param warmupSteps optimizer steps of linear warm-up before the cosine decay
 * @param parallelism how LCT spreads over the cores: pipeline workers (each a group of consecutive
 *     stages on its own thread), one worker with every core as intra-op threads, or measured and chosen
 */
public record TrainingOptions(
        TrainingMode mode,
        CriticLoss criticLoss,
        int epochs,
        int batchSize,
        float learningRate,
        float momentum,
        float weightDecay,
        float criticLearningRate,
        float criticCeWeight,
        Augmentation augmentation,
        int warmupSteps,
        long seed,
        Parallelism parallelism) {

    /**
     * Random shifts (a random crop of the zero-padded image) of up to {@link #maxShift} pixels, and
     * horizontal flips (wrong for digits, text and most scans).
     */
    public record Augmentation(boolean shift, boolean flip) {
        public static final Augmentation NONE = new Augmentation(false, false);

        /** The largest shift: a twelfth of the shorter side, at least 2 px (2 for 28x28 and 32x32, 5 for 64x64). */
        public static int maxShift(int rows, int cols) {
            return Math.max(2, Math.min(rows, cols) / 12);
        }

        /** What it does to images of {@code rows x cols}, for the manifest. */
        public String describe(int rows, int cols) {
            if (!shift && !flip) {
                return "none";
            }
            return (shift ? "random shift up to " + maxShift(rows, cols) + " px" : "")
                    + (shift && flip ? ", " : "")
                    + (flip ? "horizontal flip" : "");
        }
    }

    public static TrainingOptions defaults() {
        return new TrainingOptions(
                TrainingMode.LCT,
                CriticLoss.CE,
                15,
                128,
                0.05f,
                0.9f,
                5e-4f,
                1e-3f,
                1f,
                new Augmentation(true, false),
                200,
                42L,
                Parallelism.sequential(1));
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
        if (!(criticCeWeight >= 0)) {
            throw new IllegalArgumentException("critic CE weight must be >= 0, got " + criticCeWeight);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        }
        if (parallelism.workers() > 1 && mode != TrainingMode.LCT) {
            throw new IllegalArgumentException("--pipeline needs --mode lct: under " + mode.label()
                    + " gradients cross stage boundaries, so stages cannot train apart");
        }
    }

    /** Pipeline workers; under {@code --pipeline auto}, the most it tries. */
    public int workers() {
        return parallelism.workers();
    }

    public TrainingOptions withParallelism(Parallelism p) {
        return new TrainingOptions(
                mode,
                criticLoss,
                epochs,
                batchSize,
                learningRate,
                momentum,
                weightDecay,
                criticLearningRate,
                criticCeWeight,
                augmentation,
                warmupSteps,
                seed,
                p);
    }
}
