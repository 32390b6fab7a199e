package io.lctserve.core.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Builds one ONNX graph from Java with the ONNX protobuf classes: declared inputs and outputs
 * (a dimension of {@code -1} becomes the symbolic batch dimension), FP32/INT64 initializers and
 * nodes of the default domain. Used by the exporter to write stage and head graphs.
 */
public final class OnnxGraphBuilder {

    /** The opset every lctserve graph declares. */
    public static final int OPSET = 17;

    private static final String BATCH_DIM = "batch";
    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private int nodeCount;

    public OnnxGraphBuilder(String graphName) {
        graph.setName(graphName);
    }

    public OnnxGraphBuilder input(String name, List<Long> dims) {
        graph.addInput(valueInfo(name, dims));
        return this;
    }

    public OnnxGraphBuilder output(String name, List<Long> dims) {
        graph.addOutput(valueInfo(name, dims));
        return this;
    }

    /** Adds an FP32 initializer and returns its name. */
    public String initializer(String name, float[] values, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        addInitializer(name, OnnxMl.TensorProto.DataType.FLOAT, bytes, values.length, dims);
        return name;
    }

    /** Adds an INT64 initializer (shapes, axes) and returns its name. */
    public String initializer(String name, long[] values, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        addInitializer(name, OnnxMl.TensorProto.DataType.INT64, bytes, values.length, dims);
        return name;
    }

    private void addInitializer(
            String name, OnnxMl.TensorProto.DataType type, ByteBuffer bytes, int count, long... dims) {
        long expected = 1;
        for (long d : dims) {
            expected *= d;
        }
        if (expected != count) {
            throw new IllegalArgumentException(
                    "initializer " + name + " has " + count + " values for dims " + java.util.Arrays.toString(dims));
        }
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder()
                .setName(name)
                .setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(bytes.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
    }

    /**
     * Adds a node and returns its (single) output name.
     *
     * @param attributes values may be Long/Integer (int), Float/Double (float), long[] (ints),
     *     float[] (floats) or String
     */
    public String node(String opType, String output, Map<String, Object> attributes, String... inputs) {
        OnnxMl.NodeProto.Builder node = OnnxMl.NodeProto.newBuilder()
                .setOpType(opType)
                .setName(opType + "_" + nodeCount++)
                .addOutput(output);
        for (String in : inputs) {
            node.addInput(in);
        }
        // Sorted by name: Map.of iterates in a different order in every JVM, and the same model should write the same
        // bytes.
        new java.util.TreeMap<>(attributes).forEach((k, v) -> node.addAttribute(attribute(k, v)));
        graph.addNode(node);
        return output;
    }

    public String node(String opType, String output, String... inputs) {
        return node(opType, output, Map.of(), inputs);
    }

    public OnnxMl.ModelProto build() {
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("lctserve")
                .addOpsetImport(
                        OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build();
    }

    public void write(Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            build().writeTo(out);
        }
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, List<Long> dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (long d : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder dim = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (d < 0) {
                dim.setDimParam(BATCH_DIM);
            } else {
                dim.setDimValue(d);
            }
            shape.addDim(dim);
        }
        return OnnxMl.ValueInfoProto.newBuilder()
                .setName(name)
                .setType(OnnxMl.TypeProto.newBuilder()
                        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                                .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                                .setShape(shape)))
                .build();
    }

    private static OnnxMl.AttributeProto attribute(String name, Object value) {
        OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name);
        if (value instanceof Integer || value instanceof Long) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(((Number) value).longValue());
        } else if (value instanceof Float || value instanceof Double) {
            a.setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(((Number) value).floatValue());
        } else if (value instanceof long[] ints) {
            a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
            for (long i : ints) {
                a.addInts(i);
            }
        } else if (value instanceof float[] floats) {
            a.setType(OnnxMl.AttributeProto.AttributeType.FLOATS);
            for (float f : floats) {
                a.addFloats(f);
            }
        } else if (value instanceof String s) {
            a.setType(OnnxMl.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
        } else {
            throw new IllegalArgumentException("unsupported attribute " + name + ": " + value);
        }
        return a.build();
    }
}
