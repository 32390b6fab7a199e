package io.lctserve.trainer.nn;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import io.lctserve.core.onnx.OnnxGraphBuilder;

/** (x - mean) / std on pixel values in [0, 1]: lives inside stage 0 so clients send raw pixels. */
final class Normalize implements Layer {

    private final float mean;
    private final float std;
    private final Block block;

    Normalize(float mean, float std) {
        this.mean = mean;
        this.std = std;
        this.block =
                new LambdaBlock(x -> new NDList(x.singletonOrThrow().sub(mean).div(std)), "normalize");
    }

    @Override
    public Block block() {
        return block;
    }

    @Override
    public long[] outputShape(long[] input) {
        return input;
    }

    @Override
    public long macs(long[] input) {
        return 0;
    }

    @Override
    public String toOnnx(OnnxGraphBuilder graph, String input, String prefix) {
        String centered =
                graph.node("Sub", prefix + "centered", input, graph.initializer(prefix + "mean", new float[] {mean}));
        return graph.node("Div", prefix + "out", centered, graph.initializer(prefix + "std", new float[] {std}));
    }
}
