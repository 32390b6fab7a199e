package io.lctserve.bench;

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
 * The yardstick for the server's own overhead: the same graphs on the same images, batch 1, run
 * by plain Java threads calling ONNX Runtime directly (every stage, then the last head).
 */
final class InProcessBaseline implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final StagedModel model;
    private final List<OrtSession> stages = new ArrayList<>();
    private final OrtSession lastHead;

    InProcessBaseline(StagedModel model, int intraOpThreads) throws OrtException {
        this.model = model;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            for (int k = 0; k < model.manifest().exitCount(); k++) {
                stages.add(env.createSession(model.stageGraph(k).toString(), options));
            }
            lastHead = env.createSession(
                    model.headGraph(model.manifest().exitCount() - 1).toString(), options);
        }
    }

    Measurement run(ImageSet images, int concurrency, int warmup) throws Exception {
        for (int i = 0; i < warmup; i++) {
            classify(images, i % images.size());
        }
        long[] latencies = new long[images.size()];
        int[] predicted = new int[images.size()];
        double seconds = Parallel.forEachIndex(images.size(), concurrency, i -> {
            long t0 = System.nanoTime();
            predicted[i] = classify(images, i);
            latencies[i] = System.nanoTime() - t0;
        });
        int correct = 0;
        for (int i = 0; i < images.size(); i++) {
            correct += predicted[i] == images.labels()[i] ? 1 : 0;
        }
        long exitSum = (long) (model.manifest().exitCount() - 1) * images.size();
        return new Measurement(
                "in-process ONNX Runtime, full model",
                concurrency,
                latencies,
                seconds,
                correct,
                exitSum,
                images.size());
    }

    private int classify(ImageSet images, int index) throws OrtException {
        int n = images.pixelsPerImage();
        FloatBuffer buffer = ByteBuffer.allocateDirect(n * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int p = 0; p < n; p++) {
            buffer.put((images.pixels()[index * n + p] & 0xFF) / 255f);
        }
        buffer.rewind();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            OnnxTensor x = OnnxTensor.createTensor(env, buffer, new long[] {1, 1, images.rows(), images.cols()});
            open.add(x);
            for (int k = 0; k < stages.size(); k++) {
                Stage stage = model.manifest().stages().get(k);
                OrtSession.Result r = stages.get(k).run(Map.of(stage.input(), x));
                open.add(r);
                x = (OnnxTensor) r.get(stage.output()).orElseThrow();
            }
            Stage last = model.manifest().stages().get(stages.size() - 1);
            try (OrtSession.Result r = lastHead.run(Map.of(last.head().input(), x))) {
                float[] logits = new float[model.manifest().labels().size()];
                ((OnnxTensor) r.get(last.head().output()).orElseThrow())
                        .getFloatBuffer()
                        .get(logits);
                int best = 0;
                for (int c = 1; c < logits.length; c++) {
                    if (logits[c] > logits[best]) {
                        best = c;
                    }
                }
                return best;
            }
        } finally {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    // benchmark resources only
                }
            }
        }
    }

    @Override
    public void close() throws OrtException {
        for (OrtSession s : stages) {
            s.close();
        }
        lastHead.close();
    }
}
