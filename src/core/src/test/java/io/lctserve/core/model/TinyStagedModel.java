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
import java.util.List;
import java.util.Map;

/** Writes a real two-stage model folder of tiny ONNX graphs: Relu stages, Flatten+MatMul heads. */
final class TinyStagedModel {

    static final List<String> LABELS = List.of("cat", "dog");

    private TinyStagedModel() {}

    /** Writes {@code root/tiny/1} and returns the folder. */
    static Path write(Path root) throws IOException {
        Path folder = Files.createDirectories(root.resolve("tiny").resolve("1"));
        List<Long> featureShape = List.of(-1L, 1L, 2L, 2L);
        List<Stage> stages = new ArrayList<>();
        String previous = "input";
        for (int k = 0; k < 2; k++) {
            String h = "h" + k;
            OnnxGraphBuilder stage = new OnnxGraphBuilder("stage" + k).input(previous, featureShape);
            stage.node("Relu", h, previous);
            stage.output(h, featureShape).write(folder.resolve("stage-" + k + ".onnx"));

            String logits = "logits" + k;
            OnnxGraphBuilder head = new OnnxGraphBuilder("head" + k).input(h, featureShape);
            String w = head.initializer("w", new float[] {1, -1, 0.5f, 0, 0, 1, -0.5f, 2}, 4, 2);
            head.node("MatMul", logits, head.node("Flatten", "flat", h), w);
            head.output(logits, List.of(-1L, (long) LABELS.size())).write(folder.resolve("head-" + k + ".onnx"));

            stages.add(
                    new Stage("stage-" + k + ".onnx", previous, h, 4, new Head("head-" + k + ".onnx", h, logits, 8)));
            previous = h;
        }
        Manifest manifest = new Manifest(
                Manifest.FORMAT,
                "tiny",
                "1",
                LABELS,
                new TensorSpec("input", "FP32", featureShape),
                stages,
                new Evaluation("synthetic", 100, List.of(0.8, 0.9), 0.91, 0.92),
                Map.of("fast", new Preset(List.of(0.7, 0.0), 0.85, 0.6)),
                Map.of("method", "hand-written"));
        ManifestJson.write(manifest, folder.resolve(ModelFolder.MANIFEST_FILE));
        return folder;
    }
}
