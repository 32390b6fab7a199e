package io.lctserve.trainer.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import io.lctserve.core.onnx.OnnxGraphBuilder;
import java.util.List;

/**
 * (x - mean) / std per input channel on pixel values in [0, 1]: lives inside stage 0 so clients
 * send raw pixels. One channel uses scalars, as models written before colour did.
 */
final class Normalize implements Layer {

    private final float[] mean;
    private final float[] std;
    private final Block block;

    Normalize(List<Float> mean, List<Float> std) {
        this.mean = floats(mean);
        this.std = floats(std);
        this.block = new LambdaBlock(x -> new NDList(apply(x.singletonOrThrow())), "normalize");
    }

    private NDArray apply(NDArray x) {
        if (mean.length == 1) {
            return x.sub(mean[0]).div(std[0]);
        }
        Shape perChannel = new Shape(1, mean.length, 1, 1);
        NDArray m = x.getManager().create(mean, perChannel);
        NDArray s = x.getManager().create(std, perChannel);
        return x.sub(m).div(s);
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
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
        String centered = graph.node("Sub", prefix + "centered", input, initializer(graph, prefix + "mean", mean));
        return graph.node("Div", prefix + "out", centered, initializer(graph, prefix + "std", std));
    }

    private static String initializer(OnnxGraphBuilder graph, String name, float[] values) {
        return values.length == 1
                ? graph.initializer(name, values)
                : graph.initializer(name, values, new long[] {1, values.length, 1, 1});
    }
}
