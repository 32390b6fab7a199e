package io.lctserve.core.model;

import io.lctserve.core.manifest.Evaluation;
import io.lctserve.core.manifest.Head;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.core.manifest.Preset;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.core.onnx.OnnxGraphBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Writes real staged model folders of tiny ONNX graphs, for tests in every module: the input is
 * [-1, 1, 2, 2]; stage k is {@code relu(x) * scales[k]}; head k is {@code flatten(h_k) . weights[k]}
 * (4 x 2), so a test can choose what every head answers for a given input.
 */
public final class TinyStagedModel {

    public static final List<String> LABELS = List.of("cat", "dog");
    public static final List<Long> SHAPE = List.of(-1L, 1L, 2L, 2L);

    /** Every head's weights unless a test gives its own: positive values favour "cat" on x[0], "dog" on x[3]. */
    public static final float[] WEIGHTS = {1, -1, 0.5f, 0, 0, 1, -0.5f, 2};

    public static final long STAGE_MACS = 4;
    public static final long HEAD_MACS = 8;

    private TinyStagedModel() {}

    /** {@code root/tiny/1}: two stages that pass their input on, both heads {@link #WEIGHTS}. */
    public static Path write(Path root) throws IOException {
        return write(root, "tiny", new float[] {1, 1}, new float[][] {WEIGHTS, WEIGHTS});
    }

    /** {@code root/<name>/1} with one stage per scale and one head per weight matrix. */
    public static Path write(Path root, String name, float[] scales, float[][] headWeights) throws IOException {
        if (scales.length != headWeights.length) {
            throw new IllegalArgumentException("one head per stage");
        }
        Path folder = Files.createDirectories(root.resolve(name).resolve("1"));
        List<Stage> stages = new ArrayList<>();
        String previous = "input";
        for (int k = 0; k < scales.length; k++) {
            String h = "h" + k;
            OnnxGraphBuilder stage = new OnnxGraphBuilder("stage" + k).input(previous, SHAPE);
            String scale = stage.initializer("scale", new float[] {scales[k]}, 1);
            stage.node("Mul", h, stage.node("Relu", "positive", previous), scale);
            stage.output(h, SHAPE).write(folder.resolve("stage-" + k + ".onnx"));

            String logits = "logits" + k;
            OnnxGraphBuilder head = new OnnxGraphBuilder("head" + k).input(h, SHAPE);
            String w = head.initializer("w", headWeights[k], 4, 2);
            head.node("MatMul", logits, head.node("Flatten", "flat", h), w);
            head.output(logits, List.of(-1L, (long) LABELS.size())).write(folder.resolve("head-" + k + ".onnx"));

            stages.add(new Stage(
                    "stage-" + k + ".onnx",
                    previous,
                    h,
                    STAGE_MACS,
                    new Head("head-" + k + ".onnx", h, logits, HEAD_MACS)));
            previous = h;
        }
        int n = scales.length;
        List<Double> thresholds = new ArrayList<>(Collections.nCopies(n - 1, 0.7));
        thresholds.add(0.0);
        Manifest manifest = new Manifest(
                Manifest.FORMAT,
                name,
                "1",
                LABELS,
                new TensorSpec("input", "FP32", SHAPE),
                null,
                stages,
                new Evaluation("synthetic", 100, Collections.nCopies(n, 0.9), 0.91, 0.92),
                Map.of("fast", new Preset(null, thresholds, null, null, 0.85, 0.6, null)),
                Map.of("method", "hand-written"));
        ManifestJson.write(manifest, folder.resolve(ModelFolder.MANIFEST_FILE));
        return folder;
    }
}
