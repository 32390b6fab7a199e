package io.lctserve.trainer.export;

import ai.onnx.proto.OnnxMl;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Stage;
import io.lctserve.core.model.StagedModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The paper's structural optimization: stages 0..k and head k of a staged model joined into one
 * standalone ONNX graph ({@code input -> logits}), written in the model-repository layout that
 * Triton and KServe's ONNX runtime load: {@code <name>/config.pbtxt} and {@code <name>/1/model.onnx}.
 */
public final class SubmodelExporter {

    /** Name of the joined graph's output. */
    public static final String OUTPUT = "logits";

    private SubmodelExporter() {}

    /** Joins stages 0..k and head k into one model. */
    public static OnnxMl.ModelProto join(StagedModel model, int k) throws IOException {
        Manifest m = model.manifest();
        if (k < 0 || k >= m.exitCount()) {
            throw new IllegalArgumentException(
                    "--stage " + k + " is out of range: model " + m.name() + " has stages 0.." + (m.exitCount() - 1));
        }
        OnnxMl.GraphProto.Builder joined = OnnxMl.GraphProto.newBuilder().setName(m.name() + "-exit" + k);
        OnnxMl.ModelProto first = read(model.stageGraph(0));
        joined.addInput(first.getGraph().getInput(0));
        for (int i = 0; i <= k; i++) {
            Stage stage = m.stages().get(i);
            append(joined, read(model.stageGraph(i)).getGraph(), "s" + i + "_", stage.input(), stage.output());
        }
        Stage exit = m.stages().get(k);
        append(
                joined,
                read(model.headGraph(k)).getGraph(),
                "h" + k + "_",
                exit.head().input(),
                exit.head().output());
        OnnxMl.GraphProto head = read(model.headGraph(k)).getGraph();
        joined.addNode(OnnxMl.NodeProto.newBuilder()
                .setOpType("Identity")
                .setName("output")
                .addInput(exit.head().output())
                .addOutput(OUTPUT));
        joined.addOutput(head.getOutput(0).toBuilder().setName(OUTPUT));
        return first.toBuilder().setGraph(joined).build();
    }

    /**
     * Copies a graph's initializers and nodes, prefixing every name except the tensors it shares
     * with its neighbours (its input and output), so graphs with the same internal names can sit
     * side by side.
     */
    private static void append(
            OnnxMl.GraphProto.Builder into, OnnxMl.GraphProto graph, String prefix, String input, String output) {
        Set<String> shared = new HashSet<>(List.of(input, output));
        for (OnnxMl.TensorProto t : graph.getInitializerList()) {
            into.addInitializer(t.toBuilder().setName(prefix + t.getName()));
        }
        for (OnnxMl.NodeProto node : graph.getNodeList()) {
            OnnxMl.NodeProto.Builder b = node.toBuilder().setName(prefix + node.getName());
            b.clearInput().clearOutput();
            for (String in : node.getInputList()) {
                b.addInput(in.isEmpty() || shared.contains(in) ? in : prefix + in);
            }
            for (String out : node.getOutputList()) {
                b.addOutput(shared.contains(out) ? out : prefix + out);
            }
            into.addNode(b);
        }
    }

    /**
     * Writes {@code <repository>/<name>/config.pbtxt} and {@code <repository>/<name>/1/model.onnx}.
     *
     * @return the model.onnx path
     */
    public static Path writeRepository(
            OnnxMl.ModelProto model, Manifest manifest, Path repository, String name, int maxBatchSize)
            throws IOException {
        Path version = Files.createDirectories(repository.resolve(name).resolve("1"));
        Path onnx = version.resolve("model.onnx");
        try (OutputStream out = Files.newOutputStream(onnx)) {
            model.writeTo(out);
        }
        List<Long> shape = manifest.input().shape();
        String config = "name: \"" + name + "\"\n"
                + "platform: \"onnxruntime_onnx\"\n"
                + "max_batch_size: " + maxBatchSize + "\n"
                + "input [\n  {\n    name: \"" + manifest.input().name() + "\"\n    data_type: TYPE_FP32\n"
                + "    dims: [ " + shape.get(1) + ", " + shape.get(2) + ", " + shape.get(3) + " ]\n  }\n]\n"
                + "output [\n  {\n    name: \"" + OUTPUT + "\"\n    data_type: TYPE_FP32\n"
                + "    dims: [ " + manifest.labels().size() + " ]\n  }\n]\n";
        Files.writeString(repository.resolve(name).resolve("config.pbtxt"), config);
        return onnx;
    }

    /** Trainable values (initializer elements) of a graph. */
    public static long parameters(OnnxMl.ModelProto model) {
        long n = 0;
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
            long size = 1;
            for (long d : t.getDimsList()) {
                size *= d;
            }
            n += size;
        }
        return n;
    }

    private static OnnxMl.ModelProto read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return OnnxMl.ModelProto.parseFrom(in);
        }
    }
}
