package io.lctserve.trainer.nn;

import ai.djl.nn.Block;
import ai.djl.nn.pooling.Pool;
import io.lctserve.core.onnx.OnnxGraphBuilder;
import java.util.Map;

/** Mean over H and W: [C, H, W] to [C]. */
final class GlobalAvgPool implements Layer {

    private final Block block = Pool.globalAvgPool2dBlock();

    @Override
    public Block block() {
        return block;
    }

    @Override
    public long[] outputShape(long[] input) {
        return new long[] {input[0]};
    }

    @Override
    public long macs(long[] input) {
        return 0;
    }

    @Override
    public String toOnnx(OnnxGraphBuilder graph, String input, String prefix) {
        String pooled = graph.node("GlobalAveragePool", prefix + "pool", input);
        return graph.node("Flatten", prefix + "flat", Map.of("axis", 1L), pooled);
    }
}
