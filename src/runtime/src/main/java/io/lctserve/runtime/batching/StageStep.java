package io.lctserve.runtime.batching;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.Probabilities;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.SampleResult;
import io.lctserve.runtime.StageLatency;
import io.lctserve.runtime.StageListener;
import io.lctserve.runtime.StagedSessions;
import io.lctserve.runtime.Tensors;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One stage run of the {@link BatchScheduler}: samples of any requests, each with its own plan, go
 * through stage k together; only the rows whose plan needs head k are read by it; the samples that
 * stop here are answered through their {@link io.lctserve.runtime.SampleTrace} (as the one-request
 * path answers them), the others come back with their input for stage k + 1.
 */
final class StageStep {

    private final StagedSessions sessions;
    private final StageLatency latency;
    private final StageListener listener;
    private final ComputeCost cost;
    private final int classes;

    StageStep(StagedSessions sessions, StageLatency latency, StageListener listener) {
        this.sessions = sessions;
        this.latency = latency;
        this.listener = listener;
        this.cost = sessions.cost();
        this.classes = sessions.classes();
    }

    /** Answers samples a deadline took out of their queue, from what their heads said so far. */
    void answerCut(List<QueuedSample> cut) {
        for (QueuedSample s : cut) {
            ExitPlan plan = s.request.plan();
            int answeredAt = s.stage - 1; // the last stage it ran
            answer(s, s.trace.answer(plan.mode(), answeredAt, true, cost.macs(plan.mode(), answeredAt)));
        }
    }

    private void answer(QueuedSample s, SampleResult result) {
        listener.answered(result.exitStage(), result.macs());
        if (result.deadlineCut()) {
            listener.degraded(result.exitStage());
        }
        s.request.answer(s.index, result);
    }

    /**
     * Runs stage {@code k} (and the heads its samples need) on {@code samples} as one batch, answers
     * the samples that stop here, and returns the survivors, each holding its input for stage k + 1.
     */
    List<QueuedSample> run(int k, List<QueuedSample> samples, long batchId, long now) throws OrtException {
        int n = samples.size();
        Map<PendingRequest, Boolean> requests = new IdentityHashMap<>();
        for (QueuedSample s : samples) {
            listener.queued(k, now - s.enqueuedNanos);
            if (k == 0) {
                s.request.markStarted(now);
            }
            requests.put(s.request, Boolean.TRUE);
        }
        long started = System.nanoTime();
        List<float[]> rows = new ArrayList<>(n);
        samples.forEach(s -> rows.add(s.features));
        List<QueuedSample> survivors = new ArrayList<>(n);
        try (OnnxTensor x = Tensors.stack(rows, samples.get(0).rowShape);
                OrtSession.Result result = sessions.runStage(k, x)) {
            OnnxTensor h = sessions.stageOutput(k, result);
            boolean[] continues = new boolean[n];
            int[] needHead = new int[n];
            int reading = 0;
            for (int i = 0; i < n; i++) {
                ExitPlan plan = samples.get(i).request.plan();
                continues[i] = k < plan.lastStage() && !deadlineStops(plan, k + 1, n);
                if (plan.mode().consultsEveryHead() || !continues[i]) {
                    needHead[reading++] = i;
                }
            }
            float[] p = reading == 0 ? null : headProbabilities(k, h, needHead, reading, n);
            long nanos = System.nanoTime() - started;
            latency.record(k, n, nanos);
            listener.stageRan(k, n, nanos);
            listener.merged(k, requests.size());
            for (PendingRequest request : requests.keySet()) {
                request.addStageTime(k, batchId, nanos);
            }
            for (int j = 0; j < reading; j++) {
                samples.get(needHead[j]).trace.observe(k, p, j * classes, classes);
            }
            int[] survivorRows = new int[n];
            for (int i = 0; i < n; i++) {
                QueuedSample s = samples.get(i);
                ExitPlan plan = s.request.plan();
                boolean byRule = s.trace.exitsByRule(plan, k);
                if (byRule || !continues[i]) {
                    boolean deadlineCut = !byRule && k < plan.lastStage();
                    answer(s, s.trace.answer(plan.mode(), k, deadlineCut, cost.macs(plan.mode(), k)));
                } else {
                    survivorRows[survivors.size()] = i;
                    survivors.add(s);
                }
            }
            if (!survivors.isEmpty()) {
                List<float[]> features = Tensors.rows(h, survivorRows, survivors.size());
                long[] rowShape = Tensors.rowShape(h);
                for (int j = 0; j < survivors.size(); j++) {
                    survivors.get(j).features = features.get(j);
                    survivors.get(j).rowShape = rowShape;
                }
            }
        }
        return survivors;
    }

    private boolean deadlineStops(ExitPlan plan, int nextStage, int batch) {
        return plan.hasDeadline() && System.nanoTime() + latency.predictNanos(nextStage, batch) > plan.deadlineNanos();
    }

    /** Head k's probabilities for the rows {@code needHead[0 .. reading)} of {@code h}, in that order. */
    private float[] headProbabilities(int k, OnnxTensor h, int[] needHead, int reading, int n) throws OrtException {
        float[] p;
        if (reading == n) {
            p = sessions.headLogits(k, h);
        } else {
            try (OnnxTensor some = Tensors.gatherRows(h, needHead, reading)) {
                p = sessions.headLogits(k, some);
            }
        }
        Probabilities.softmaxRows(p, classes);
        return p;
    }
}
