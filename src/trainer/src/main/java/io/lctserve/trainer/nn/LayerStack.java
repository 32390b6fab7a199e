package io.lctserve.trainer.nn;

import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import io.lctserve.core.onnx.OnnxGraphBuilder;
import java.util.List;

/** Layers run one after another: one stage of the main network, or one exit head. */
public final class LayerStack {

    private final List<Layer> layers;
    private final long[] inputShape;
    private final SequentialBlock block = new SequentialBlock();

    LayerStack(long[] inputShape, List<Layer> layers) {
        this.inputShape = inputShape.clone();
        this.layers = List.copyOf(layers);
        layers.forEach(l -> block.add(l.block()));
    }

    public Block block() {
        return block;
    }

    /** Per-sample input shape. */
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** Per-sample output shape. */
    public long[] outputShape() {
        long[] shape = inputShape;
        for (Layer layer : layers) {
            shape = layer.outputShape(shape);
        }
        return shape;
    }

    /** Multiply-accumulates per sample. */
    public long macs() {
        long macs = 0;
        long[] shape = inputShape;
        for (Layer layer : layers) {
            macs += layer.macs(shape);
            shape = layer.outputShape(shape);
        }
        return macs;
    }

    /** Appends every layer's ONNX nodes and returns the last output's name. */
    public String toOnnx(OnnxGraphBuilder graph, String input) {
        String x = input;
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).toOnnx(graph, x, "l" + i + "_");
        }
        return x;
    }
}
