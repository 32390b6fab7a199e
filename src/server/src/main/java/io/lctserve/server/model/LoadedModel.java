package io.lctserve.server.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.model.StagedModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A validated staged model with one ONNX Runtime session per graph, shared by every request
 * thread (session runs are thread-safe), and the measured latency of each stage.
 */
public final class LoadedModel implements AutoCloseable {

    private final StagedModel staged;
    private final List<OrtSession> stages = new ArrayList<>();
    private final List<OrtSession> heads = new ArrayList<>();
    private final StageLatency latency;
    private final long[] macsThroughExit;

    LoadedModel(StagedModel staged, OrtEnvironment env, OrtSession.SessionOptions options) throws OrtException {
        this.staged = staged;
        Manifest m = staged.manifest();
        try {
            for (int k = 0; k < m.exitCount(); k++) {
                stages.add(open(env, options, k, true));
                heads.add(open(env, options, k, false));
            }
        } catch (OrtException | RuntimeException e) {
            close();
            throw e;
        }
        this.latency = new StageLatency(m.exitCount());
        this.macsThroughExit = new long[m.exitCount()];
        for (int k = 0; k < m.exitCount(); k++) {
            macsThroughExit[k] = m.macsThroughExit(k);
        }
    }

    private OrtSession open(OrtEnvironment env, OrtSession.SessionOptions options, int k, boolean stage)
            throws OrtException {
        Stage s = staged.manifest().stages().get(k);
        String graph = stage ? s.graph() : s.head().graph();
        OrtSession session =
                env.createSession((stage ? staged.stageGraph(k) : staged.headGraph(k)).toString(), options);
        String input = stage ? s.input() : s.head().input();
        String output = stage ? s.output() : s.head().output();
        if (!session.getInputNames().contains(input)
                || !session.getOutputNames().contains(output)) {
            session.close();
            throw new IllegalStateException(graph + ": ONNX Runtime sees inputs " + session.getInputNames()
                    + " and outputs " + session.getOutputNames() + ", manifest says " + input + " -> " + output);
        }
        if (!stage) {
            long[] shape = ((TensorInfo) session.getOutputInfo().get(output).getInfo()).getShape();
            if (shape.length != 2 || shape[1] != staged.manifest().labels().size()) {
                session.close();
                throw new IllegalStateException(graph + ": logits shape " + java.util.Arrays.toString(shape)
                        + " does not match " + staged.manifest().labels().size() + " labels");
            }
        }
        return session;
    }

    /**
     * Runs every stage and head a few times on a blank image, so the first request pays no
     * one-time cost and the deadline planner starts with measured stage latencies.
     */
    void warmUp(OrtEnvironment env, int rounds) throws OrtException {
        long[] shape = staged.manifest().input().shape().stream()
                .mapToLong(Long::longValue)
                .toArray();
        shape[0] = 1;
        int size = (int) staged.manifest().input().elementsPerSample();
        for (int round = 0; round < rounds; round++) {
            FloatBuffer blank = ByteBuffer.allocateDirect(size * Float.BYTES)
                    .order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            OnnxTensor x = OnnxTensor.createTensor(env, blank, shape);
            AutoCloseable owner = x;
            try {
                for (int k = 0; k < exitCount(); k++) {
                    long started = System.nanoTime();
                    OrtSession.Result stage = runStage(k, x);
                    OnnxTensor h = (OnnxTensor) stage.get(stageOutput(k)).orElseThrow();
                    runHead(k, h).close();
                    latency.record(k, 1, (System.nanoTime() - started) / 1e6);
                    closeQuietly(owner);
                    owner = stage;
                    x = h;
                }
            } finally {
                closeQuietly(owner);
            }
        }
    }

    public Manifest manifest() {
        return staged.manifest();
    }

    public String name() {
        return staged.manifest().name();
    }

    public String version() {
        return staged.manifest().version();
    }

    public int exitCount() {
        return stages.size();
    }

    public int classes() {
        return staged.manifest().labels().size();
    }

    /** Runs stage k; the caller closes the result, which owns the output tensor. */
    public OrtSession.Result runStage(int k, OnnxTensor input) throws OrtException {
        return stages.get(k).run(Map.of(staged.manifest().stages().get(k).input(), input));
    }

    /** Runs head k on stage k's output; the caller closes the result. */
    public OrtSession.Result runHead(int k, OnnxTensor features) throws OrtException {
        return heads.get(k).run(Map.of(staged.manifest().stages().get(k).head().input(), features));
    }

    public String stageOutput(int k) {
        return staged.manifest().stages().get(k).output();
    }

    public String headOutput(int k) {
        return staged.manifest().stages().get(k).head().output();
    }

    public StageLatency latency() {
        return latency;
    }

    /** MACs per sample of answering at exit k (stages 0..k and head k). */
    public long macsThroughExit(int k) {
        return macsThroughExit[k];
    }

    public long fullModelMacs() {
        return macsThroughExit[macsThroughExit.length - 1];
    }

    @Override
    public void close() {
        for (OrtSession s : stages) {
            closeQuietly(s);
        }
        for (OrtSession s : heads) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            // Nothing left to do with a native resource that cannot close.
        }
    }
}
