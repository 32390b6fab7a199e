package io.lctserve.trainer.nn;

import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import io.lctserve.core.onnx.OnnxGraphBuilder;
import java.util.Map;

/** [C, H, W] to [C*H*W], in the same (row-major) order in DJL and ONNX. */
final class Flatten implements Layer {

    private final Block block = Blocks.batchFlattenBlock();

    @Override
    public Block block() {
        return block;
    }

    @Override
    public long[] outputShape(long[] input) {
        long n = 1;
        for (long d : input) {
            n *= d;
        }
        return new long[] {n};
    }

    @Override
    public long macs(long[] input) {
        return 0;
    }

    @Override
    public String toOnnx(OnnxGraphBuilder graph, String input, String prefix) {
        return graph.node("Flatten", prefix + "flat", Map.of("axis", 1L), input);
    }
}
