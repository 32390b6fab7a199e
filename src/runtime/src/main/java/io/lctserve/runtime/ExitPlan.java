package io.lctserve.runtime;

import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.Mode;

/**
 * How a batch walks the stages: what a request asked for, already checked against the model.
 *
 * @param mode how the stages are walked
 * @param rule when a head answers; early exit only (null otherwise)
 * @param lastStage deepest stage to run, 0-based
 * @param deadlineNanos {@link System#nanoTime()} by which to answer, or {@link #NO_DEADLINE}
 * @param keepHeads keep every head's probabilities per sample (for people, not for throughput)
 */
public record ExitPlan(Mode mode, ExitRule rule, int lastStage, long deadlineNanos, boolean keepHeads) {

    public static final long NO_DEADLINE = Long.MAX_VALUE;

    public ExitPlan {
        if ((mode == Mode.EARLY_EXIT) != (rule != null)) {
            throw new IllegalArgumentException("mode early_exit and only it takes an exit rule: " + mode + ", " + rule);
        }
        if (lastStage < 0) {
            throw new IllegalArgumentException("last stage must be >= 0, was " + lastStage);
        }
    }

    /** A plan in {@code mode} through stage {@code lastStage}, with no deadline, heads not kept. */
    public static ExitPlan of(Mode mode, ExitRule rule, int lastStage) {
        return new ExitPlan(mode, rule, lastStage, NO_DEADLINE, false);
    }

    public boolean hasDeadline() {
        return deadlineNanos != NO_DEADLINE;
    }
}
