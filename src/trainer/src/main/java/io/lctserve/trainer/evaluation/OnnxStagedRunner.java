package io.lctserve.trainer.evaluation;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.model.StagedModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs an exported staged model in ONNX Runtime over a whole image set and returns every head's
 * logits: what the server will serve is what gets evaluated.
 */
public final class OnnxStagedRunner implements AutoCloseable {

    private static final int BATCH = 256;
    private final StagedModel model;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final List<OrtSession> stages = new ArrayList<>();
    private final List<OrtSession> heads = new ArrayList<>();

    public OnnxStagedRunner(StagedModel model) throws OrtException {
        this.model = model;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            for (int k = 0; k < model.manifest().exitCount(); k++) {
                stages.add(env.createSession(model.stageGraph(k).toString(), options));
                heads.add(env.createSession(model.headGraph(k).toString(), options));
            }
        }
    }

    /** Logits of every head for every image: {@code [head][image * classes + class]}. */
    public float[][] logits(ImageSet images) throws OrtException {
        int n = stages.size();
        int classes = model.manifest().labels().size();
        float[][] out = new float[n][images.size() * classes];
        int perImage = images.pixelsPerImage();
        float[] pixels = new float[BATCH * perImage];
        for (int start = 0; start < images.size(); start += BATCH) {
            int count = Math.min(BATCH, images.size() - start);
            for (int i = 0; i < count; i++) {
                images.copyScaled(start + i, pixels, i * perImage);
            }
            FloatBuffer buffer = ByteBuffer.allocateDirect(count * perImage * Float.BYTES)
                    .order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            buffer.put(pixels, 0, count * perImage).rewind();
            OnnxTensor h = OnnxTensor.createTensor(env, buffer, new long[] {count, 1, images.rows(), images.cols()});
            try {
                for (int k = 0; k < n; k++) {
                    Stage stage = model.manifest().stages().get(k);
                    OnnxTensor next = run(stages.get(k), stage.input(), h, stage.output());
                    h.close();
                    h = next;
                    try (OnnxTensor logits = run(
                            heads.get(k), stage.head().input(), h, stage.head().output())) {
                        logits.getFloatBuffer().get(out[k], start * classes, count * classes);
                    }
                }
            } finally {
                h.close();
            }
        }
        return out;
    }

    private static OnnxTensor run(OrtSession session, String input, OnnxTensor value, String output)
            throws OrtException {
        try (OrtSession.Result result = session.run(Map.of(input, value))) {
            OnnxTensor tensor = (OnnxTensor) result.get(output).orElseThrow();
            // Copy out so the tensor outlives the result.
            FloatBuffer data = tensor.getFloatBuffer();
            long[] shape = tensor.getInfo().getShape();
            FloatBuffer direct = ByteBuffer.allocateDirect(data.remaining() * Float.BYTES)
                    .order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            direct.put(data).rewind();
            return OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), direct, shape);
        }
    }

    @Override
    public void close() throws OrtException {
        for (OrtSession s : stages) {
            s.close();
        }
        for (OrtSession s : heads) {
            s.close();
        }
    }
}
