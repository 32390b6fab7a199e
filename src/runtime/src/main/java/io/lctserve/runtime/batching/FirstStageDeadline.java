package io.lctserve.runtime.batching;

import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.StageLatency;

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
            throw new DeadlineRefusal(
                    "the deadline cannot be met: " + millis(Math.max(0, left)) + " ms left, about " + millis(waitNanos)
                            + " ms of queued work and " + millis(firstStageNanos) + " ms for the first stage");
        }
    }

    /** Nanoseconds as milliseconds with one decimal ("12.3"), without String.format's cost on a path taken under overload. */
    static String millis(double nanos) {
        long tenths = Math.round(nanos / 1e5);
        return tenths / 10 + "." + tenths % 10;
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
