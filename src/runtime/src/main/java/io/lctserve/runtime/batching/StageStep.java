package io.lctserve.runtime.batching;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.lctserve.core.exit.Probabilities;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.SampleResult;
import io.lctserve.runtime.StageDecision;
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
 * stop here are answered by the {@link StageDecision} the one-request path answers with, the others
 * come back with their input for stage k + 1.
 */
final class StageStep {

    private final StagedSessions sessions;
    private final StageLatency latency;
    private final StageDecision decision;
    private final StageListener listener;
    private final int classes;

    StageStep(StagedSessions sessions, StageLatency latency, StageDecision decision, StageListener listener) {
        this.sessions = sessions;
        this.latency = latency;
        this.decision = decision;
        this.listener = listener;
        this.classes = sessions.classes();
    }

    /** Answers samples a deadline took out of their queue, from what their heads said so far. */
    void answerCut(List<QueuedSample> cut) {
        for (QueuedSample s : cut) {
            answer(s, decision.cutBefore(s.request.plan(), s.trace, s.stage));
        }
    }

    private void answer(QueuedSample s, SampleResult result) {
        if (s.request.countsAnswers()) {
            StageDecision.report(listener, result);
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
                continues[i] = decision.goesOn(plan, k, n);
                if (StageDecision.readsHead(plan, continues[i])) {
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
            boolean[] read = new boolean[n];
            for (int j = 0; j < reading; j++) {
                samples.get(needHead[j]).trace.observe(k, p, j * classes, classes);
                read[needHead[j]] = true;
            }
            int[] survivorRows = new int[n];
            for (int i = 0; i < n; i++) {
                QueuedSample s = samples.get(i);
                ExitPlan plan = s.request.plan();
                SampleResult answer = decision.stopsAt(plan, s.trace, k, continues[i]);
                if (answer != null) {
                    answer(s, answer);
                } else if (!s.request.isDone()) { // not cancelled or timed out while the stage ran
                    if (read[i]) {
                        s.request.progressed(s.index, () -> decision.soFar(plan, s.trace, k));
                    }
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
