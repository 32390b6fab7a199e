package io.lctserve.trainer.nn;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.lctserve.core.exit.ComputeCost;
import java.util.ArrayList;
import java.util.List;

/**
 * The main network split into stages f_0..f_{N-1}, with a head after each: local critics c_0..c_{N-2}
 * and the main classifier as head N-1. Stage and head k are exported as {@code stage-k.onnx} and
 * {@code head-k.onnx}.
 */
public final class StagedNetwork {

    private final NetworkConfig config;
    private final List<LayerStack> stages = new ArrayList<>();
    private final List<LayerStack> heads = new ArrayList<>();
    private ConvBn stem;

    public StagedNetwork(NetworkConfig config) {
        this.config = config;
        long[] shape = {config.inputChannels(), config.height(), config.width()};
        int channelsIn = config.channels().get(0);
        for (int k = 0; k < config.stageCount(); k++) {
            List<Layer> layers = new ArrayList<>();
            int c = config.channels().get(k);
            if (k == 0) {
                layers.add(new Normalize(config.pixelMean(), config.pixelStd()));
                stem = new ConvBn(config.inputChannels(), c, 3, config.stemStride(), true, true);
                layers.add(stem);
            }
            for (int b = 0; b < config.blocks().get(k); b++) {
                layers.add(new Residual(
                        b == 0 ? channelsIn : c, c, b == 0 ? config.strides().get(k) : 1));
            }
            channelsIn = c;
            LayerStack stage = new LayerStack(shape, layers);
            stages.add(stage);
            shape = stage.outputShape();
            heads.add(
                    k < config.stageCount() - 1 || config.criticShapedLastHead()
                            ? localCritic(shape, config.criticConvs().get(k))
                            : mainClassifier(shape));
        }
    }

    private LayerStack localCritic(long[] featureShape, int convs) {
        List<Layer> layers = new ArrayList<>();
        long[] shape = featureShape;
        for (int i = 0; i < convs; i++) {
            int stride = shape[1] > 7 ? 2 : 1;
            ConvBn conv = new ConvBn((int) shape[0], config.criticChannels(), 3, stride, false, true);
            layers.add(conv);
            shape = conv.outputShape(shape);
        }
        Flatten flatten = new Flatten();
        layers.add(flatten);
        layers.add(new Dense((int) flatten.outputShape(shape)[0], config.classes()));
        return new LayerStack(featureShape, layers);
    }

    private LayerStack mainClassifier(long[] featureShape) {
        return new LayerStack(
                featureShape, List.of(new GlobalAvgPool(), new Dense((int) featureShape[0], config.classes())));
    }

    /** Creates every parameter (DJL's He-normal weights) on {@code manager}. */
    public void initialize(NDManager manager) {
        for (int k = 0; k < stages.size(); k++) {
            stages.get(k)
                    .block()
                    .initialize(manager, DataType.FLOAT32, batchOf(stages.get(k).inputShape()));
            heads.get(k)
                    .block()
                    .initialize(manager, DataType.FLOAT32, batchOf(heads.get(k).inputShape()));
        }
        if (config.inputChannels() > 1) {
            stem.startColourBlind();
        }
    }

    /** What an answer at each exit of this network costs, as the exported manifest will say. */
    public ComputeCost cost() {
        return ComputeCost.of(
                stages.stream().mapToLong(LayerStack::macs).toArray(),
                heads.stream().mapToLong(LayerStack::macs).toArray());
    }

    public boolean isInitialized() {
        return stages.get(0).block().isInitialized();
    }

    private static Shape batchOf(long[] perSample) {
        long[] dims = new long[perSample.length + 1];
        dims[0] = 1;
        System.arraycopy(perSample, 0, dims, 1, perSample.length);
        return new Shape(dims);
    }

    public NetworkConfig config() {
        return config;
    }

    public int stageCount() {
        return stages.size();
    }

    public LayerStack stage(int k) {
        return stages.get(k);
    }

    public LayerStack head(int k) {
        return heads.get(k);
    }

    /** Trainable parameters (weights, biases, batch-norm scale and shift) of stage k. */
    public List<Parameter> stageParameters(int k) {
        return trainable(stages.get(k));
    }

    /** Trainable parameters of head k. */
    public List<Parameter> headParameters(int k) {
        return trainable(heads.get(k));
    }

    private static List<Parameter> trainable(LayerStack stack) {
        return stack.block().getParameters().values().stream()
                .filter(Parameter::requiresGradient)
                .toList();
    }
}
