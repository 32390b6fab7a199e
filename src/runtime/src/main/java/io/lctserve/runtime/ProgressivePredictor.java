package io.lctserve.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.lctserve.core.exit.Mode;
import io.lctserve.core.exit.Probabilities;
import java.util.Arrays;
import java.util.concurrent.CancellationException;

/**
 * Progressive evaluation of a batch. Stage by stage: run the stage, run the heads the mode needs,
 * let the exit rule decide which samples have their answer, and gather only the survivors into
 * the next stage's input, so compute shrinks with every exit. A deadline stops the walk before a
 * stage whose measured latency would overrun it; the sample is then answered from its most
 * confident head so far (early exit) or the head of the last stage run. Who goes on and who
 * answers is {@link StageDecision}'s, as in the batching scheduler.
 */
public final class ProgressivePredictor {

    private final StagedSessions sessions;
    private final StageLatency latency;
    private final StageDecision decision;

    public ProgressivePredictor(StagedSessions sessions) {
        this.sessions = sessions;
        this.latency = new StageLatency(sessions.exitCount());
        this.decision = new StageDecision(latency, sessions.cost(), sessions.exitCount());
    }

    public StagedSessions sessions() {
        return sessions;
    }

    /** The per-stage latencies measured so far, which deadlines are planned with. */
    public StageLatency latency() {
        return latency;
    }

    /** Who goes on and who answers after each stage, shared with the batching scheduler. */
    public StageDecision decision() {
        return decision;
    }

    /**
     * @param pixels {@code batch * C * H * W} values in [0, 1], row-major
     * @param shape {@code [batch, C, H, W]}
     */
    public BatchResult predict(float[] pixels, long[] shape, ExitPlan plan, StageListener listener)
            throws OrtException {
        return predict(pixels, shape, plan, listener, SampleListener.NONE);
    }

    /**
     * As {@link #predict(float[], long[], ExitPlan, StageListener)}, telling {@code samples} about each
     * answer as it forms; once {@code samples} says the caller has gone, no further stage runs.
     *
     * @throws CancellationException when the caller went away before the last answer
     */
    public BatchResult predict(
            float[] pixels, long[] shape, ExitPlan plan, StageListener listener, SampleListener samples)
            throws OrtException {
        int batch = (int) shape[0];
        decision.check(plan);
        if (batch < 1 || pixels.length != Arrays.stream(shape).reduce(1, (a, b) -> a * b)) {
            throw new IllegalArgumentException(
                    pixels.length + " values do not fill a batch of shape " + Arrays.toString(shape));
        }
        Walk walk = new Walk(plan, batch, listener, samples);
        OnnxTensor x = Tensors.fp32(pixels, pixels.length, shape);
        AutoCloseable owner = x; // what must stay open while x is in use
        OrtSession.Result stage = null; // the running stage's output, until handed on
        try {
            for (int k = 0; k <= plan.lastStage(); k++) {
                if (k > 0 && goneBefore(k, plan, samples)) {
                    throw new CancellationException("the caller went away before stage " + k);
                }
                long started = System.nanoTime();
                stage = sessions.runStage(k, x);
                OnnxTensor h = sessions.stageOutput(k, stage);
                boolean continues = decision.goesOn(plan, k, walk.alive);
                float[] probabilities = StageDecision.readsHead(plan, continues) ? probabilities(k, h) : null;
                long nanos = System.nanoTime() - started;
                latency.record(k, walk.alive, nanos);
                walk.stageMillis[k] = nanos / 1e6;
                listener.stageRan(k, walk.alive, nanos);

                int survivors = walk.decide(k, probabilities, continues);
                if (survivors == 0) {
                    break;
                }
                Tensors.closeQuietly(owner); // stage k has consumed x
                owner = null;
                if (survivors == walk.alive) {
                    owner = stage; // h feeds the next stage as it is
                    x = h;
                } else {
                    x = Tensors.gatherRows(h, walk.rows, survivors);
                    owner = x;
                    stage.close();
                }
                stage = null;
                walk.alive = survivors;
            }
        } finally {
            Tensors.closeQuietly(stage);
            Tensors.closeQuietly(owner);
        }
        return new BatchResult(
                Arrays.asList(walk.results), walk.stageMillis, sessions.cost().fullModel() * batch);
    }

    /** Whether the caller has gone before stage k, given time to go after a progressive answer at k - 1. */
    private static boolean goneBefore(int k, ExitPlan plan, SampleListener samples) {
        long pause = samples.progressive() && plan.mode().consultsEveryHead() ? samples.pauseNanos() : 0;
        try {
            return pause > 0 ? samples.cancelledWithin(pause) : samples.cancelled();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /**
     * Runs every stage and head a few times on a blank image, so that the first request pays no
     * one-time cost and deadlines are planned with measured stage latencies from the start.
     */
    public void warmUp(int rounds) throws OrtException {
        long[] shape = sessions.manifest().input().shape().stream()
                .mapToLong(Long::longValue)
                .toArray();
        shape[0] = 1;
        float[] blank = new float[(int) sessions.manifest().input().elementsPerSample()];
        ExitPlan everyHead = ExitPlan.of(Mode.ENSEMBLE, null, sessions.exitCount() - 1);
        for (int round = 0; round < rounds; round++) {
            predict(blank, shape, everyHead, StageListener.NONE);
        }
    }

    private float[] probabilities(int k, OnnxTensor features) throws OrtException {
        float[] p = sessions.headLogits(k, features);
        Probabilities.softmaxRows(p, sessions.classes());
        return p;
    }

    /** One batch's way through the stages: who is still running, and the answers so far. */
    private final class Walk {
        final ExitPlan plan;
        final StageListener listener;
        final SampleListener samples;
        final int classes = sessions.classes();
        final SampleResult[] results;
        final SampleTrace[] traces;
        final double[] stageMillis = new double[sessions.exitCount()];
        /** Samples still running, in the order of the current input's rows. */
        final int[] running;
        /** For each survivor of the last stage, its row in that stage's output. */
        final int[] rows;

        int alive;

        Walk(ExitPlan plan, int batch, StageListener listener, SampleListener samples) {
            this.plan = plan;
            this.listener = listener;
            this.samples = samples;
            results = new SampleResult[batch];
            traces = new SampleTrace[batch];
            running = new int[batch];
            rows = new int[batch];
            for (int i = 0; i < batch; i++) {
                traces[i] = new SampleTrace(plan.keepHeads());
                running[i] = i;
            }
            alive = batch;
        }

        /** Answers the samples that are done at stage k; returns how many run on. */
        int decide(int k, float[] probabilities, boolean continues) {
            int survivors = 0;
            for (int row = 0; row < alive; row++) {
                int sample = running[row];
                SampleTrace t = traces[sample];
                if (probabilities != null) {
                    t.observe(k, probabilities, row * classes, classes);
                }
                SampleResult answer = decision.stopsAt(plan, t, k, continues);
                if (answer != null) {
                    results[sample] = answer;
                    if (samples.countsAnswers()) {
                        StageDecision.report(listener, answer);
                    }
                    samples.answered(sample, answer);
                } else {
                    if (probabilities != null && samples.progressive()) {
                        samples.progressed(sample, decision.soFar(plan, t, k));
                    }
                    running[survivors] = sample;
                    rows[survivors++] = row;
                }
            }
            return survivors;
        }
    }
}
