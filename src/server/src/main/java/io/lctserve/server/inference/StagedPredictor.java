package io.lctserve.server.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.stereotype.Service;

/**
 * Runs a batch through a staged model, stage by stage. After each stage the heads that the mode
 * needs run, the exit policy decides which samples have their answer, and only the survivors are
 * gathered into the next stage's input, so compute shrinks with every exit.
 */
@Service
public class StagedPredictor {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final InferenceMetrics metrics;

    public StagedPredictor(InferenceMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * @param pixels {@code batch * C * H * W} values in [0, 1]
     * @param shape the input shape, {@code [batch, C, H, W]}
     */
    public InferenceResult predict(LoadedModel model, float[] pixels, long[] shape, InferenceOptions options)
            throws OrtException {
        InferenceMetrics.ModelMeters meters = metrics.model(model.name(), model.exitCount());
        int batch = (int) shape[0];
        int classes = model.classes();
        SampleResult[] results = new SampleResult[batch];
        Trace[] traces = new Trace[batch];
        for (int i = 0; i < batch; i++) {
            traces[i] = new Trace(options.collectHeads());
        }
        double[] stageMillis = new double[model.exitCount()];
        int[] alive = new int[batch];
        for (int i = 0; i < batch; i++) {
            alive[i] = i;
        }
        int aliveCount = batch;
        long macsUsed = 0;

        OnnxTensor x = tensor(pixels, pixels.length, shape);
        AutoCloseable owner = x; // what must stay open while x is in use
        OrtSession.Result stageResult = null; // the running stage's output, until handed on
        try {
            for (int k = 0; k <= options.lastStage(); k++) {
                long started = System.nanoTime();
                stageResult = model.runStage(k, x);
                OnnxTensor h =
                        (OnnxTensor) stageResult.get(model.stageOutput(k)).orElseThrow();
                boolean continues = k < options.lastStage() && !deadlineStops(model, options, k + 1, aliveCount);
                boolean deadlineCut = k < options.lastStage() && !continues;
                boolean needHead = options.mode() == Mode.EARLY_EXIT || options.mode() == Mode.ENSEMBLE || !continues;
                float[] probabilities = needHead ? probabilities(model, k, h, aliveCount, classes) : null;
                double millis = (System.nanoTime() - started) / 1e6;
                model.latency().record(k, aliveCount, millis);
                stageMillis[k] = millis;
                meters.recordStage(k, aliveCount, System.nanoTime() - started);

                int survivors = 0;
                for (int j = 0; j < aliveCount; j++) {
                    int sample = alive[j];
                    Trace t = traces[sample];
                    if (probabilities != null) {
                        t.observe(k, probabilities, j * classes, classes);
                    }
                    boolean byPolicy = options.mode() == Mode.EARLY_EXIT
                            && options.policy().exits(k, t.last, t.agreeing);
                    if (byPolicy || !continues) {
                        results[sample] = t.answer(options.mode(), k, deadlineCut && !byPolicy);
                        macsUsed += model.macsThroughExit(k);
                    } else {
                        alive[survivors++] = sample;
                        // remember where this survivor's features sit in h
                        t.row = j;
                    }
                }
                if (survivors == 0) {
                    break;
                }
                closeQuietly(owner); // stage k has consumed x
                if (survivors == aliveCount) {
                    owner = stageResult; // h feeds the next stage as it is
                    x = h;
                } else {
                    owner = null;
                    x = gather(h, alive, survivors, traces);
                    owner = x;
                    stageResult.close();
                }
                stageResult = null;
                aliveCount = survivors;
            }
        } finally {
            closeQuietly(stageResult);
            closeQuietly(owner);
        }
        return new InferenceResult(
                Arrays.asList(results), stageMillis, macsUsed, model.fullModelMacs() * batch, options.rule());
    }

    private static boolean deadlineStops(LoadedModel model, InferenceOptions options, int nextStage, int batch) {
        if (!options.hasDeadline()) {
            return false;
        }
        double predictedNanos = model.latency().predictMs(nextStage, batch) * 1e6;
        return System.nanoTime() + predictedNanos > options.deadlineNanos();
    }

    private float[] probabilities(LoadedModel model, int k, OnnxTensor h, int batch, int classes) throws OrtException {
        try (OrtSession.Result head = model.runHead(k, h)) {
            FloatBuffer logits = ((OnnxTensor) head.get(model.headOutput(k)).orElseThrow()).getFloatBuffer();
            float[] p = new float[batch * classes];
            logits.get(p);
            Softmax.inPlace(p, classes);
            return p;
        }
    }

    /** Copies the survivors' rows of {@code h} into a new, smaller batch. */
    private OnnxTensor gather(OnnxTensor h, int[] alive, int survivors, Trace[] traces) throws OrtException {
        long[] shape = h.getInfo().getShape();
        int rowSize = 1;
        for (int d = 1; d < shape.length; d++) {
            rowSize *= (int) shape[d];
        }
        FloatBuffer all = h.getFloatBuffer();
        float[] rows = new float[survivors * rowSize];
        for (int j = 0; j < survivors; j++) {
            all.position(traces[alive[j]].row * rowSize);
            all.get(rows, j * rowSize, rowSize);
        }
        long[] nextShape = shape.clone();
        nextShape[0] = survivors;
        return tensor(rows, rows.length, nextShape);
    }

    private OnnxTensor tensor(float[] values, int length, long[] shape) throws OrtException {
        FloatBuffer buffer = ByteBuffer.allocateDirect(length * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        buffer.put(values, 0, length).rewind();
        return OnnxTensor.createTensor(env, buffer, shape);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // native tensors that fail to close leak nothing the next request could use
        }
    }

    /** What one sample has seen so far. */
    private static final class Trace {
        final List<float[]> heads;
        float[] best;
        float bestConfidence = -1;
        float[] last;
        int lastClass = -1;
        int agreeing;
        float[] sum;
        int seen;
        int row;

        Trace(boolean collectHeads) {
            heads = collectHeads ? new ArrayList<>() : List.of();
        }

        void observe(int stage, float[] p, int offset, int classes) {
            float[] mine = Arrays.copyOfRange(p, offset, offset + classes);
            int cls = argMax(mine);
            if (mine[cls] > bestConfidence) {
                bestConfidence = mine[cls];
                best = mine;
            }
            agreeing = cls == lastClass ? agreeing + 1 : 1;
            lastClass = cls;
            if (sum == null) {
                sum = new float[classes];
            }
            for (int c = 0; c < classes; c++) {
                sum[c] += mine[c];
            }
            seen++;
            last = mine;
            if (heads instanceof ArrayList<float[]> list) {
                list.add(mine);
            }
        }

        SampleResult answer(Mode mode, int stage, boolean deadlineCut) {
            float[] p;
            if (mode == Mode.ENSEMBLE) {
                p = sum.clone();
                for (int c = 0; c < p.length; c++) {
                    p[c] /= seen;
                }
            } else if (deadlineCut && mode == Mode.EARLY_EXIT) {
                p = best;
            } else {
                p = last;
            }
            int cls = argMax(p);
            return new SampleResult(p, cls, p[cls], stage, deadlineCut, heads);
        }

        private static int argMax(float[] p) {
            int best = 0;
            for (int c = 1; c < p.length; c++) {
                if (p[c] > p[best]) {
                    best = c;
                }
            }
            return best;
        }
    }
}
