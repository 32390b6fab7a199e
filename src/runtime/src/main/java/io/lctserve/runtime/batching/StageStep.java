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
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

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
    /** Each stage's output shape without the batch dimension, once its first run has shown it. */
    private final AtomicReferenceArray<long[]> outputRows;

    StageStep(StagedSessions sessions, StageLatency latency, StageDecision decision, StageListener listener) {
        this.sessions = sessions;
        this.latency = latency;
        this.decision = decision;
        this.listener = listener;
        this.classes = sessions.classes();
        this.outputRows = new AtomicReferenceArray<>(sessions.exitCount());
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
     * The batch's input and outputs live in {@code buffers}.
     */
    List<QueuedSample> run(int k, List<QueuedSample> samples, long batchId, long now, StageBuffers buffers)
            throws OrtException {
        int n = samples.size();
        Map<PendingRequest, Boolean> requests = new IdentityHashMap<>();
        for (QueuedSample s : samples) {
            listener.queued(k, now - s.enqueuedNanos);
            requests.put(s.request, Boolean.TRUE);
        }
        long started = System.nanoTime();
        long[] inputRow = samples.get(0).rowShape;
        FloatBuffer in = buffers.take(StageBuffers.Use.INPUT, n * samples.get(0).features.length);
        for (QueuedSample s : samples) {
            in.put(s.features);
        }
        in.rewind();
        List<QueuedSample> survivors = new ArrayList<>(n);
        long[] outputRow = outputRows.get(k);
        long[] outputShape = outputRow == null ? null : batchShape(n, outputRow);
        FloatBuffer out =
                outputShape == null ? null : buffers.take(StageBuffers.Use.OUTPUT, n * Tensors.rowSize(outputShape));
        try (OnnxTensor x = Tensors.over(in, batchShape(n, inputRow));
                OnnxTensor pinned = out == null ? null : Tensors.over(out, outputShape);
                OrtSession.Result result = pinned == null ? sessions.runStage(k, x) : sessions.runStage(k, x, pinned)) {
            OnnxTensor h = pinned != null ? pinned : sessions.stageOutput(k, result);
            if (outputRow == null) { // the first run of stage k: its output's shape, written into from now on
                outputRow = Tensors.rowShape(h);
                outputRows.set(k, outputRow);
                outputShape = batchShape(n, outputRow);
            }
            // the output's values: where ONNX Runtime wrote them, else (a first run) copied out once
            FloatBuffer hValues = out != null ? out : h.getFloatBuffer();
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
            float[] p =
                    reading == 0 ? null : headProbabilities(k, h, hValues, outputShape, needHead, reading, n, buffers);
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
                List<float[]> features = Tensors.rows(hValues, outputShape, survivorRows, survivors.size());
                for (int j = 0; j < survivors.size(); j++) {
                    survivors.get(j).features = features.get(j);
                    survivors.get(j).rowShape = outputRow;
                }
            }
        }
        return survivors;
    }

    /**
     * Head k's probabilities for the rows {@code needHead[0 .. reading)} of {@code h} (whose values are
     * {@code hValues}), in that order.
     */
    private float[] headProbabilities(
            int k,
            OnnxTensor h,
            FloatBuffer hValues,
            long[] hShape,
            int[] needHead,
            int reading,
            int n,
            StageBuffers buffers)
            throws OrtException {
        float[] p;
        FloatBuffer logits = buffers.take(StageBuffers.Use.LOGITS, reading * classes);
        if (reading == n) {
            p = sessions.headLogits(k, h, logits);
        } else {
            FloatBuffer rows = buffers.take(StageBuffers.Use.GATHERED, reading * Tensors.rowSize(hShape));
            try (OnnxTensor some = Tensors.gatherRows(hValues, hShape, needHead, reading, rows)) {
                p = sessions.headLogits(k, some, logits);
            }
        }
        Probabilities.softmaxRows(p, classes);
        return p;
    }

    private static long[] batchShape(int n, long[] row) {
        long[] shape = new long[row.length + 1];
        shape[0] = n;
        System.arraycopy(row, 0, shape, 1, row.length);
        return shape;
    }
}
