package io.lctserve.runtime;

import io.lctserve.core.exit.ComputeCost;

/**
 * The one stage decision of both walks, one batch at a time ({@link ProgressivePredictor}) and the
 * batching scheduler: after stage k, whether a sample may go deeper (its plan's last stage and its
 * deadline, at measured stage latencies), whether head k must be read for it, and, once head k is
 * read, whether the sample stops here and with which answer (its rule's, or the best so far when a
 * deadline stops it).
 */
public final class StageDecision {

    private final StageLatency latency;
    private final ComputeCost cost;
    private final int stages;

    public StageDecision(StageLatency latency, ComputeCost cost, int stages) {
        this.latency = latency;
        this.cost = cost;
        this.stages = stages;
    }

    /** Refuses a plan that asks for a stage the model does not have. */
    public void check(ExitPlan plan) {
        if (plan.lastStage() >= stages) {
            throw new IllegalArgumentException(
                    "stage " + plan.lastStage() + " does not exist: the model has " + stages);
        }
    }

    /**
     * Whether a sample that has run stage k, in a batch of {@code batch}, may run stage k + 1: its
     * plan goes deeper and its deadline leaves time for that stage at its measured latency.
     */
    public boolean goesOn(ExitPlan plan, int k, int batch) {
        return k < plan.lastStage() && !missesDeadline(plan, System.nanoTime(), latency.predictNanos(k + 1, batch));
    }

    /** Whether head k must be read for a sample: its mode reads every head, or it stops here. */
    public static boolean readsHead(ExitPlan plan, boolean goesOn) {
        return plan.mode().consultsEveryHead() || !goesOn;
    }

    /**
     * After stage k (and head k, if it was read): the sample's answer if it stops here, by its rule
     * or because it may not go on (a deadline cut when its plan went deeper); null if it goes on.
     */
    public SampleResult stopsAt(ExitPlan plan, SampleTrace trace, int k, boolean goesOn) {
        boolean byRule = trace.exitsByRule(plan, k);
        if (!byRule && goesOn) {
            return null;
        }
        boolean deadlineCut = !byRule && k < plan.lastStage();
        return trace.answer(plan.mode(), k, deadlineCut, cost.macs(plan.mode(), k));
    }

    /** What a sample that goes on past head k would answer if it stopped there (a progressive answer). */
    public SampleResult soFar(ExitPlan plan, SampleTrace trace, int k) {
        return trace.answer(plan.mode(), k, false, cost.macs(plan.mode(), k));
    }

    /**
     * Whether a sample that waits for a stage taking {@code nextStageNanos} can no longer finish it
     * before its deadline, at {@code now}.
     */
    public static boolean missesDeadline(ExitPlan plan, long now, double nextStageNanos) {
        return plan.hasDeadline() && now + nextStageNanos > plan.deadlineNanos();
    }

    /** The answer of a sample a deadline took out of the queue of stage {@code next}: its best head so far. */
    public SampleResult cutBefore(ExitPlan plan, SampleTrace trace, int next) {
        int lastRun = next - 1;
        return trace.answer(plan.mode(), lastRun, true, cost.macs(plan.mode(), lastRun));
    }

    /** Tells the model's listener about an answer: where it left, what it cost, whether a deadline cut it. */
    public static void report(StageListener listener, SampleResult answer) {
        listener.answered(answer.exitStage(), answer.macs());
        if (answer.deadlineCut()) {
            listener.degraded(answer.exitStage());
        }
    }
}
