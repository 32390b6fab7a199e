package io.lctserve.trainer.nn;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import io.lctserve.core.onnx.OnnxGraphBuilder;
import java.util.Map;

/**
 * Convolution (square kernel, "same" padding) with optional batch norm and ReLU. In ONNX the batch
 * norm is folded into the convolution's weights and bias, with its running statistics.
 */
final class ConvBn implements Layer {

    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final boolean relu;
    private final Conv2d conv;
    private final BatchNorm bn;
    private final SequentialBlock block = new SequentialBlock();

    ConvBn(int inChannels, int outChannels, int kernel, int stride, boolean batchNorm, boolean relu) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.relu = relu;
        int pad = kernel / 2;
        conv = Conv2d.builder()
                .setKernelShape(new Shape(kernel, kernel))
                .setFilters(outChannels)
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(pad, pad))
                .optBias(!batchNorm)
                .build();
        block.add(conv);
        bn = batchNorm ? BatchNorm.builder().build() : null;
        if (bn != null) {
            block.add(bn);
        }
        if (relu) {
            block.add(Activation.reluBlock());
        }
    }

    /**
     * Gives every input channel the first channel's initial weights: each filter starts out reading
     * brightness (the same pattern in R, G and B) rather than a random mix of colours, which can cancel
     * on colour images whose channels vary independently and leave training on a long plateau.
     */
    void startColourBlind() {
        ai.djl.ndarray.NDArray w = conv.getParameters().get("weight").getArray();
        ai.djl.ndarray.NDArray first = w.get(new ai.djl.ndarray.index.NDIndex(":, 0:1, :, :"));
        for (int c = 1; c < inChannels; c++) {
            w.set(new ai.djl.ndarray.index.NDIndex(":, {}:{}, :, :", c, c + 1), first);
        }
    }

    @Override
    public Block block() {
        return block;
    }

    @Override
    public long[] outputShape(long[] in) {
        int pad = kernel / 2;
        long h = (in[1] + 2L * pad - kernel) / stride + 1;
        long w = (in[2] + 2L * pad - kernel) / stride + 1;
        return new long[] {outChannels, h, w};
    }

    @Override
    public long macs(long[] in) {
        long[] out = outputShape(in);
        return out[0] * out[1] * out[2] * inChannels * kernel * kernel;
    }

    @Override
    public String toOnnx(OnnxGraphBuilder graph, String input, String prefix) {
        float[] weight = conv.getParameters().get("weight").getArray().toFloatArray();
        float[] bias = new float[outChannels];
        if (bn == null) {
            bias = conv.getParameters().get("bias").getArray().toFloatArray();
        } else {
            float[] gamma = bn.getParameters().get("gamma").getArray().toFloatArray();
            float[] beta = bn.getParameters().get("beta").getArray().toFloatArray();
            float[] mean = bn.getParameters().get("runningMean").getArray().toFloatArray();
            float[] var = bn.getParameters().get("runningVar").getArray().toFloatArray();
            int perFilter = inChannels * kernel * kernel;
            for (int c = 0; c < outChannels; c++) {
                float scale = (float) (gamma[c] / Math.sqrt(var[c] + BatchNormDefaults.EPSILON));
                for (int i = 0; i < perFilter; i++) {
                    weight[c * perFilter + i] *= scale;
                }
                bias[c] = beta[c] - mean[c] * scale;
            }
        }
        String w = graph.initializer(prefix + "w", weight, outChannels, inChannels, kernel, kernel);
        String b = graph.initializer(prefix + "b", bias, outChannels);
        int pad = kernel / 2;
        String out = graph.node(
                "Conv",
                prefix + "conv",
                Map.of(
                        "kernel_shape", new long[] {kernel, kernel},
                        "strides", new long[] {stride, stride},
                        "pads", new long[] {pad, pad, pad, pad}),
                input,
                w,
                b);
        return relu ? graph.node("Relu", prefix + "relu", out) : out;
    }
}
