package io.lctserve.trainer.nn;

import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import io.lctserve.core.onnx.OnnxGraphBuilder;
import java.util.Map;

/** Fully connected layer on a vector: y = x W^T + b (ONNX Gemm with transB). */
final class Dense implements Layer {

    private final int inFeatures;
    private final int units;
    private final Linear linear;

    Dense(int inFeatures, int units) {
        this.inFeatures = inFeatures;
        this.units = units;
        this.linear = Linear.builder().setUnits(units).build();
    }

    @Override
    public Block block() {
        return linear;
    }

    @Override
    public long[] outputShape(long[] input) {
        return new long[] {units};
    }

    @Override
    public long macs(long[] input) {
        return (long) inFeatures * units;
    }

    @Override
    public String toOnnx(OnnxGraphBuilder graph, String input, String prefix) {
        String w = graph.initializer(
                prefix + "w", linear.getParameters().get("weight").getArray().toFloatArray(), units, inFeatures);
        String b = graph.initializer(
                prefix + "b", linear.getParameters().get("bias").getArray().toFloatArray(), units);
        return graph.node("Gemm", prefix + "gemm", Map.of("transB", 1L), input, w, b);
    }
}
