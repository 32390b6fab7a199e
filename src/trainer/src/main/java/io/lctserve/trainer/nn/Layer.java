package io.lctserve.trainer.nn;

import ai.djl.nn.Block;
import io.lctserve.core.onnx.OnnxGraphBuilder;

/**
 * One piece of a stage or a critic that exists twice: as a DJL block for training and as ONNX
 * nodes for serving. Keeping both in one class keeps the exported graph honest to the trained one.
 * Shapes are per sample: {@code [C, H, W]} for feature maps, {@code [F]} for vectors.
 */
public interface Layer {

    /** The DJL block that trains this layer. */
    Block block();

    /** Per-sample output shape for a per-sample input shape. */
    long[] outputShape(long[] input);

    /** Multiply-accumulates per sample; zero for element-wise work. */
    long macs(long[] input);

    /**
     * Appends the ONNX nodes of this layer (with the trained weights, batch norm folded) and
     * returns the name of its output tensor.
     *
     * @param prefix unique prefix for this layer's tensor and initializer names
     */
    String toOnnx(OnnxGraphBuilder graph, String input, String prefix);
}
