package io.lctserve.core.model;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The inputs and outputs an ONNX graph file declares, read from its protobuf without running it,
 * and how many weights it holds. Dynamic dimensions (symbolic or unset) are reported as -1.
 *
 * @param parameters elements of all initializers (weights and biases as exported)
 */
record GraphSignature(List<Tensor> inputs, List<Tensor> outputs, long parameters) {

    record Tensor(String name, int elementType, List<Long> dims) {}

    static GraphSignature read(Path file) throws IOException {
        OnnxMl.ModelProto model;
        try (InputStream in = Files.newInputStream(file)) {
            model = OnnxMl.ModelProto.parseFrom(in);
        }
        OnnxMl.GraphProto graph = model.getGraph();
        Set<String> initializers = new HashSet<>();
        long parameters = 0;
        for (OnnxMl.TensorProto t : graph.getInitializerList()) {
            initializers.add(t.getName());
            long elements = 1;
            for (long d : t.getDimsList()) {
                elements *= d;
            }
            parameters += elements;
        }
        List<Tensor> inputs = new ArrayList<>();
        for (OnnxMl.ValueInfoProto v : graph.getInputList()) {
            if (!initializers.contains(v.getName())) {
                inputs.add(tensor(v));
            }
        }
        return new GraphSignature(
                inputs,
                graph.getOutputList().stream().map(GraphSignature::tensor).toList(),
                parameters);
    }

    private static Tensor tensor(OnnxMl.ValueInfoProto v) {
        OnnxMl.TypeProto.Tensor type = v.getType().getTensorType();
        List<Long> dims = new ArrayList<>();
        for (OnnxMl.TensorShapeProto.Dimension d : type.getShape().getDimList()) {
            dims.add(d.hasDimValue() ? d.getDimValue() : -1L);
        }
        return new Tensor(v.getName(), type.getElemType(), dims);
    }
}
