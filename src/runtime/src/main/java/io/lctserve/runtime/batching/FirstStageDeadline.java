package io.lctserve.runtime.batching;

import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.StageLatency;
import java.util.Locale;

/**
 * A deadline a request's first stage must meet. Later stages can be cut short and answered from
 * the heads read so far; before stage 0 there is no head to answer from, so a request that cannot
 * end its first stage in time is refused ({@link DeadlineRefusal}) instead of answered late: at
 * submission, or in the queue at its last possible start.
 */
final class FirstStageDeadline {

    private FirstStageDeadline() {}

    /** The measured time of a request's first stage: its batches, over the workers. */
    static double firstStageNanos(StageLatency latency, BatchingSettings settings, int batch) {
        int runs = (batch + settings.maxBatchSize() - 1) / settings.maxBatchSize();
        int rounds = (runs + settings.workers() - 1) / settings.workers();
        return latency.predictNanos(0, Math.min(batch, settings.maxBatchSize())) * rounds;
    }

    /**
     * Refuses a request whose deadline is already past, or past once {@code waitNanos} of queued work
     * ahead of it and its first stage have run.
     */
    static void refuseIfMissed(ExitPlan plan, double firstStageNanos, double waitNanos) {
        long left = plan.deadlineNanos() - System.nanoTime();
        if (waitNanos + firstStageNanos > left) {
            throw new DeadlineRefusal(String.format(
                    Locale.ROOT,
                    "the deadline cannot be met: %.1f ms left, about %.1f ms of queued work and %.1f ms for the"
                            + " first stage",
                    Math.max(0, left) / 1e6,
                    waitNanos / 1e6,
                    firstStageNanos / 1e6));
        }
    }

    /** How long from now the first stage may still start and end in time; {@link Long#MAX_VALUE} without a deadline. */
    static long untilLastStartNanos(ExitPlan plan, double firstStageNanos) {
        return plan.hasDeadline() ? plan.deadlineNanos() - (long) firstStageNanos - System.nanoTime() : Long.MAX_VALUE;
    }

    /** The refusal of a request still queued at its last possible start. */
    static DeadlineRefusal passedInQueue() {
        return new DeadlineRefusal("the deadline passed before the first stage could run: the queue held more"
                + " work than the deadline left time for");
    }
}
