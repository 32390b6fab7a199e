package io.lctserve.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.model.StagedModel;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A validated staged model folder opened in ONNX Runtime: one session per stage and head graph,
 * shared by every thread (session runs are thread-safe). Stage k runs on stage k-1's output, head
 * k on stage k's.
 */
public final class StagedSessions implements AutoCloseable {

    /** Images per run when a whole image set goes through every head. */
    /** Images per bulk run: 256 of 28x28 grey, fewer of larger images (16 of 64x64 RGB), so memory stays bounded. */
    private static final int BULK_VALUES = 256 * 784;

    private final StagedModel model;
    private final ComputeCost cost;
    private final List<OrtSession> stages = new ArrayList<>();
    private final List<OrtSession> heads = new ArrayList<>();

    private StagedSessions(StagedModel model) {
        this.model = model;
        this.cost = ComputeCost.of(model.manifest());
    }

    /** Opens every graph of {@code model}; closes what it opened if one fails. */
    public static StagedSessions open(StagedModel model, SessionSettings settings) throws OrtException {
        StagedSessions sessions = new StagedSessions(model);
        try (OrtSession.SessionOptions options = settings.options()) {
            for (int k = 0; k < model.manifest().exitCount(); k++) {
                Stage s = model.manifest().stages().get(k);
                sessions.stages.add(sessions.session(model.stageGraph(k).toString(), options, s.input(), s.output()));
                sessions.heads.add(sessions.session(
                        model.headGraph(k).toString(),
                        options,
                        s.head().input(),
                        s.head().output()));
                sessions.checkLogits(k);
            }
        } catch (OrtException | RuntimeException e) {
            sessions.close();
            throw e;
        }
        return sessions;
    }

    private OrtSession session(String graph, OrtSession.SessionOptions options, String input, String output)
            throws OrtException {
        OrtSession session = OrtEnvironment.getEnvironment().createSession(graph, options);
        if (!session.getInputNames().contains(input)
                || !session.getOutputNames().contains(output)) {
            String seen = "inputs " + session.getInputNames() + " and outputs " + session.getOutputNames();
            session.close();
            throw new IllegalStateException(
                    graph + ": ONNX Runtime sees " + seen + ", the manifest says " + input + " -> " + output);
        }
        return session;
    }

    private void checkLogits(int k) throws OrtException {
        String output = manifest().stages().get(k).head().output();
        long[] shape = ((TensorInfo) heads.get(k).getOutputInfo().get(output).getInfo()).getShape();
        if (shape.length != 2 || shape[1] != classes()) {
            throw new IllegalStateException(model.headGraph(k) + ": logits shape " + Arrays.toString(shape)
                    + " does not match " + classes() + " labels");
        }
    }

    public StagedModel model() {
        return model;
    }

    public Manifest manifest() {
        return model.manifest();
    }

    public ComputeCost cost() {
        return cost;
    }

    public int exitCount() {
        return stages.size();
    }

    public int classes() {
        return model.manifest().labels().size();
    }

    /** Runs stage k on {@code input}; the caller closes the result, which owns the output tensor. */
    public OrtSession.Result runStage(int k, OnnxTensor input) throws OrtException {
        return stages.get(k).run(Map.of(manifest().stages().get(k).input(), input));
    }

    /**
     * Runs stage k on {@code input} writing its output into {@code output}, a tensor of exactly the
     * output's shape (over a caller's buffer: {@link Tensors#over}); the caller closes the result, which
     * does not own {@code output}.
     */
    public OrtSession.Result runStage(int k, OnnxTensor input, OnnxTensor output) throws OrtException {
        Stage s = manifest().stages().get(k);
        return stages.get(k).run(Map.of(s.input(), input), Map.of(s.output(), output));
    }

    /** Stage k's output inside {@code result}, a result of {@link #runStage}. */
    public OnnxTensor stageOutput(int k, OrtSession.Result result) {
        return (OnnxTensor) result.get(manifest().stages().get(k).output()).orElseThrow();
    }

    /** Head k on stage k's output: logits {@code [batch * classes]}, copied out of ONNX Runtime. */
    public float[] headLogits(int k, OnnxTensor features) throws OrtException {
        Stage s = manifest().stages().get(k);
        try (OrtSession.Result result = heads.get(k).run(Map.of(s.head().input(), features))) {
            return ((OnnxTensor) result.get(s.head().output()).orElseThrow())
                    .getFloatBuffer()
                    .array();
        }
    }

    /**
     * Head k on stage k's output, its logits written into {@code into} (a direct buffer with room for
     * exactly {@code batch * classes} values) and then copied out: {@code [batch * classes]}.
     */
    public float[] headLogits(int k, OnnxTensor features, FloatBuffer into) throws OrtException {
        Stage s = manifest().stages().get(k);
        long batch = features.getInfo().getShape()[0];
        try (OnnxTensor logits = Tensors.over(into, new long[] {batch, classes()});
                OrtSession.Result ignored = heads.get(k)
                        .run(Map.of(s.head().input(), features), Map.of(s.head().output(), logits))) {
            float[] out = new float[(int) batch * classes()];
            into.get(0, out);
            return out;
        }
    }

    /** Every head's logits for a batch: {@code [head][sample * classes + class]}. */
    public float[][] allHeadLogits(float[] pixels, long[] shape) throws OrtException {
        float[][] logits = new float[exitCount()][];
        OnnxTensor x = Tensors.fp32(pixels, pixels.length, shape);
        AutoCloseable owner = x; // what must stay open while x is in use
        try {
            for (int k = 0; k < exitCount(); k++) {
                OrtSession.Result stage = runStage(k, x);
                Tensors.closeQuietly(owner);
                owner = stage;
                x = stageOutput(k, stage);
                logits[k] = headLogits(k, x);
            }
        } finally {
            Tensors.closeQuietly(owner);
        }
        return logits;
    }

    /** Every head's logits for every image of {@code images}: {@code [head][image * classes + class]}. */
    public float[][] allHeadLogits(ImageSet images) throws OrtException {
        int classes = classes();
        float[][] out = new float[exitCount()][images.size() * classes];
        int perImage = images.pixelsPerImage();
        int bulk = Math.max(1, BULK_VALUES / perImage);
        float[] pixels = new float[bulk * perImage];
        for (int start = 0; start < images.size(); start += bulk) {
            int count = Math.min(bulk, images.size() - start);
            for (int i = 0; i < count; i++) {
                images.copyScaled(start + i, pixels, i * perImage);
            }
            long[] shape = images.shape(count);
            float[][] batch = allHeadLogits(Arrays.copyOf(pixels, count * perImage), shape);
            for (int k = 0; k < batch.length; k++) {
                System.arraycopy(batch[k], 0, out[k], start * classes, count * classes);
            }
        }
        return out;
    }

    @Override
    public void close() {
        stages.forEach(Tensors::closeQuietly);
        heads.forEach(Tensors::closeQuietly);
    }
}
