package io.lctserve.trainer.nn;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import io.lctserve.core.onnx.OnnxGraphBuilder;
import java.util.List;

/**
 * A basic residual block: relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x)), where the
 * shortcut is the identity, or a strided 1x1 convolution with batch norm when the shape changes.
 */
final class Residual implements Layer {

    private final ConvBn first;
    private final ConvBn second;
    private final ConvBn projection;
    private final SequentialBlock block = new SequentialBlock();

    Residual(int inChannels, int outChannels, int stride) {
        first = new ConvBn(inChannels, outChannels, 3, stride, true, true);
        second = new ConvBn(outChannels, outChannels, 3, 1, true, false);
        projection = stride != 1 || inChannels != outChannels
                ? new ConvBn(inChannels, outChannels, 1, stride, true, false)
                : null;
        SequentialBlock main = new SequentialBlock().add(first.block()).add(second.block());
        Block shortcut = projection != null ? projection.block() : new LambdaBlock(x -> x, "identity");
        block.add(new ParallelBlock(
                        list -> new NDList(
                                list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow())),
                        List.of(main, shortcut)))
                .add(Activation.reluBlock());
    }

    @Override
    public Block block() {
        return block;
    }

    @Override
    public long[] outputShape(long[] input) {
        return second.outputShape(first.outputShape(input));
    }

    @Override
    public long macs(long[] input) {
        long macs = first.macs(input) + second.macs(first.outputShape(input));
        return projection == null ? macs : macs + projection.macs(input);
    }

    @Override
    public String toOnnx(OnnxGraphBuilder graph, String input, String prefix) {
        String main = second.toOnnx(graph, first.toOnnx(graph, input, prefix + "a_"), prefix + "b_");
        String shortcut = projection == null ? input : projection.toOnnx(graph, input, prefix + "p_");
        return graph.node("Relu", prefix + "out", graph.node("Add", prefix + "sum", main, shortcut));
    }
}
