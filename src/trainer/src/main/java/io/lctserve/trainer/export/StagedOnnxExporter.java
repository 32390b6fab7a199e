package io.lctserve.trainer.export;

import io.lctserve.core.manifest.Head;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.onnx.OnnxGraphBuilder;
import io.lctserve.trainer.nn.LayerStack;
import io.lctserve.trainer.nn.StagedNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes every stage and head of a trained network as its own ONNX graph ({@code stage-k.onnx},
 * {@code head-k.onnx}; opset 17, dynamic batch, batch norm folded) and returns the manifest's stage
 * entries with each graph's MACs. Tensor names chain: {@code input -> h0 -> h1 ...}, head k reads
 * {@code hk} and returns {@code logitsk}.
 */
public final class StagedOnnxExporter {

    public static final String INPUT_NAME = "input";

    private StagedOnnxExporter() {}

    public static List<Stage> export(StagedNetwork network, Path folder) throws IOException {
        Files.createDirectories(folder);
        List<Stage> stages = new ArrayList<>();
        String previous = INPUT_NAME;
        for (int k = 0; k < network.stageCount(); k++) {
            String features = "h" + k;
            String logits = "logits" + k;
            String stageFile = "stage-" + k + ".onnx";
            String headFile = "head-" + k + ".onnx";
            writeGraph(network.stage(k), "stage" + k, previous, features, folder.resolve(stageFile));
            writeGraph(network.head(k), "head" + k, features, logits, folder.resolve(headFile));
            stages.add(new Stage(
                    stageFile,
                    previous,
                    features,
                    network.stage(k).macs(),
                    new Head(headFile, features, logits, network.head(k).macs())));
            previous = features;
        }
        return stages;
    }

    private static void writeGraph(LayerStack stack, String graphName, String input, String output, Path file)
            throws IOException {
        OnnxGraphBuilder graph = new OnnxGraphBuilder(graphName).input(input, batched(stack.inputShape()));
        String last = stack.toOnnx(graph, input);
        graph.node("Identity", output, last);
        graph.output(output, batched(stack.outputShape())).write(file);
    }

    /** Per-sample shape with the dynamic batch dimension (-1) in front. */
    public static List<Long> batched(long[] perSample) {
        List<Long> dims = new ArrayList<>();
        dims.add(-1L);
        for (long d : perSample) {
            dims.add(d);
        }
        return dims;
    }
}
