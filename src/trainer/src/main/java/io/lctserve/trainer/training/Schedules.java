package io.lctserve.trainer.training;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;

/**
 * Learning-rate schedules, counted in optimizer steps so that a small data set (few steps per
 * epoch) learns from its first epoch: a linear warm-up from a tenth of the rate over {@link
 * #warmupSteps()} steps, then cosine decay to a thousandth of it at the last step.
 */
final class Schedules {

    /** Warm-up never takes more than this share of the run. */
    private static final int MAX_WARMUP_SHARE = 10;

    private final int steps;
    private final int warmup;
    private final int done;

    /** @param stepsDone steps already taken (a resumed run): the schedule goes on from there */
    Schedules(int totalSteps, int warmupSteps, int stepsDone) {
        this.steps = Math.max(1, totalSteps);
        this.warmup = Math.max(1, Math.min(warmupSteps, steps / MAX_WARMUP_SHARE));
        this.done = stepsDone;
    }

    int warmupSteps() {
        return warmup;
    }

    String describe() {
        return "linear warm-up over " + warmup + " steps, then cosine over " + (steps - warmup);
    }

    /** The main network's SGD (momentum, weight decay). */
    Optimizer sgd(TrainingOptions o) {
        return Optimizer.sgd()
                .setLearningRateTracker(tracker(o.learningRate()))
                .optMomentum(o.momentum())
                .optWeightDecays(o.weightDecay())
                .optBeginNumUpdate(done)
                .build();
    }

    /** The main network's SGD with each gradient element clipped to [-clip, clip]. */
    Optimizer clippedSgd(TrainingOptions o, float clip) {
        return Optimizer.sgd()
                .setLearningRateTracker(tracker(o.learningRate()))
                .optMomentum(o.momentum())
                .optWeightDecays(o.weightDecay())
                .optClipGrad(clip)
                .optBeginNumUpdate(done)
                .build();
    }

    /** The paper's critic optimizer: Adam, no weight decay. */
    Optimizer adam(TrainingOptions o) {
        return Optimizer.adam()
                .optLearningRateTracker(tracker(o.criticLearningRate()))
                .optBeginNumUpdate(done)
                .build();
    }

    private Tracker tracker(float base) {
        Tracker cosine = CosineTracker.builder()
                .setBaseValue(base)
                .optFinalValue(base * 1e-3f)
                .setMaxUpdates(Math.max(1, steps - warmup))
                .build();
        return WarmUpTracker.builder()
                .setMainTracker(cosine)
                .optWarmUpBeginValue(base * 0.1f)
                .optWarmUpSteps(warmup)
                .build();
    }
}
