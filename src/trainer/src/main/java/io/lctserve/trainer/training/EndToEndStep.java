package io.lctserve.trainer.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import io.lctserve.trainer.nn.StagedNetwork;
import java.util.ArrayList;
import java.util.List;

/**
 * One step of the modes where gradients cross stage boundaries, so the whole network learns from one
 * backward pass on one thread:
 *
 * <ul>
 *   <li>{@link TrainingMode#BACKPROP}: the main loss through every stage; the early heads are probes
 *       on detached features, learning cross-entropy without steering the stages.
 *   <li>{@link TrainingMode#JOINT}: the sum of every head's cross-entropy through every stage before
 *       it (SDN, BranchyNet).
 * </ul>
 *
 * Everything learns in the main SGD.
 */
final class EndToEndStep {

    private final StagedNetwork network;
    private final TrainingMode mode;
    private final ParameterStore parameters;
    private final Optimizer optimizer;
    private final List<Parameter> trainable = new ArrayList<>();
    private final HeadCounters counters;

    EndToEndStep(
            StagedNetwork network,
            TrainingOptions options,
            Schedules schedules,
            ParameterStore parameters,
            HeadCounters counters) {
        this.network = network;
        this.mode = options.mode();
        this.parameters = parameters;
        this.optimizer = schedules.sgd(options);
        this.counters = counters;
        for (int k = 0; k < network.stageCount(); k++) {
            trainable.addAll(network.stageParameters(k));
            trainable.addAll(network.headParameters(k));
        }
    }

    void train(NDArray x, NDArray y) {
        int n = network.stageCount();
        NDArray h = x;
        NDArray total = null;
        float[] means = new float[n];
        NDArray[] logits = new NDArray[n];
        for (int k = 0; k < n; k++) {
            h = network.stage(k)
                    .block()
                    .forward(parameters, new NDList(h), true)
                    .singletonOrThrow();
            NDArray headInput = mode == TrainingMode.BACKPROP && k < n - 1 ? h.stopGradient() : h;
            logits[k] = network.head(k)
                    .block()
                    .forward(parameters, new NDList(headInput), true)
                    .singletonOrThrow();
            NDArray loss = Losses.crossEntropy(logits[k], y).mean();
            total = total == null ? loss : total.add(loss);
            means[k] = loss.getFloat();
        }
        Autograd.backward(total);
        Autograd.update(optimizer, trainable);
        for (int k = 0; k < n; k++) {
            if (!Float.isFinite(means[k])) {
                throw new IllegalStateException(
                        "head " + k + "'s loss is " + means[k] + ": training diverged (try a lower --lr)");
            }
            counters.add(k, logits[k].argMax(1).eq(y).sum().getLong(), y.size(), means[k]);
        }
    }
}
