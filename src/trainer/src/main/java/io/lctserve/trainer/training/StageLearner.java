package io.lctserve.trainer.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import io.lctserve.trainer.nn.StagedNetwork;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stage k of a network under local critic training, with everything it needs to learn alone: its
 * block, its critic (head k), their optimizers, and the counters the progress line reads. Nothing
 * here touches another stage's parameters, so learners of different stages can run on different
 * threads.
 *
 * <p>{@link #train} is stage k's step on one batch: forward the stage on its detached input and the
 * critic on the stage's output, back-propagate the critic's cross-entropy into both, update the stage
 * (and the critic, when the critic learns cross-entropy in the stage's optimizer). Under the
 * cascaded losses the critic's own update comes later, in {@link #trainCritic}, once head k+1's
 * loss on the same batch is known.
 */
final class StageLearner {

    /** What stage k hands on: its output, detached, and its head's per-sample loss, detached. */
    record Output(NDArray features, NDArray loss) {}

    private static final float CLIP = 1f;

    final int stage;
    private final Block block;
    private final Block head;
    private final List<Parameter> stepParameters = new ArrayList<>();
    private final List<Parameter> criticParameters;
    private final Optimizer stepOptimizer;
    private final Optimizer criticOptimizer;
    private final CriticLoss criticLoss;
    private final float criticCeWeight;
    private final ParameterStore parameters;

    private final HeadCounters counters;

    /** Head k+1's losses for this critic, in batch order (cascaded losses only). */
    final BlockingQueue<PipelineWorker.Target> targets = new LinkedBlockingQueue<>();
    /** Batches whose critic step waits for its target (pipelined cascaded losses only). */
    final Deque<PipelineWorker.Pending> pending = new ArrayDeque<>();
    /** Time spent in this stage's steps this epoch: the pipeline splits the stages by it. */
    final AtomicLong busyNanos = new AtomicLong();

    StageLearner(
            StagedNetwork network,
            int k,
            TrainingOptions options,
            Schedules schedules,
            ParameterStore ps,
            HeadCounters counters) {
        this.counters = counters;
        this.stage = k;
        this.block = network.stage(k).block();
        this.head = network.head(k).block();
        this.parameters = ps;
        this.criticLoss = options.criticLoss();
        this.criticCeWeight = options.criticCeWeight();
        boolean last = k == network.stageCount() - 1;
        // The main classifier learns with its stage; so does a critic that learns cross-entropy.
        boolean separateCritic = !last && criticLoss.needsNextLoss();
        stepParameters.addAll(network.stageParameters(k));
        this.criticParameters = network.headParameters(k);
        if (!separateCritic) {
            stepParameters.addAll(criticParameters);
        }
        this.stepOptimizer = schedules.sgd(options);
        this.criticOptimizer = !separateCritic
                ? null
                : criticLoss.criticsInStageOptimizer() ? schedules.clippedSgd(options, CLIP) : schedules.adam(options);
    }

    /** Whether this stage's critic waits for the next head's loss before it learns. */
    boolean criticWaitsForNextLoss() {
        return criticOptimizer != null;
    }

    /**
     * One step on one batch; the returned arrays belong to {@code input}'s manager.
     *
     * @throws IllegalStateException when the loss is not finite (the run has diverged)
     */
    Output train(NDArray input, NDArray labels) {
        long started = System.nanoTime();
        NDArray features = block.forward(parameters, new NDList(input.stopGradient()), true)
                .singletonOrThrow();
        NDArray logits = head.forward(parameters, new NDList(features), true).singletonOrThrow();
        NDArray loss = Losses.crossEntropy(logits, labels);
        NDArray mean = loss.mean();
        Autograd.backward(mean);
        Autograd.update(stepOptimizer, stepParameters);
        if (criticOptimizer != null) {
            Autograd.zeroGradients(criticParameters); // the critic learns its own loss in trainCritic
        }
        float value = mean.getFloat();
        if (!Float.isFinite(value)) {
            throw new IllegalStateException(
                    "stage " + stage + "'s loss is " + value + ": training diverged (try a lower --lr or --critic-lr;"
                            + " --resume goes on from the last epoch's checkpoint)");
        }
        counters.add(stage, logits.argMax(1).eq(labels).sum().getLong(), labels.size(), value);
        busyNanos.addAndGet(System.nanoTime() - started);
        return new Output(features.stopGradient(), loss.stopGradient());
    }

    /** Critic k's own step under the cascaded losses: predict {@code nextLoss}, head k+1's per-sample loss. */
    void trainCritic(NDArray features, NDArray labels, NDArray nextLoss) {
        long started = System.nanoTime();
        NDArray logits = head.forward(parameters, new NDList(features.stopGradient()), true)
                .singletonOrThrow();
        NDArray ce = Losses.crossEntropy(logits, labels);
        NDArray loss = Losses.cascaded(ce, nextLoss);
        if (criticLoss == CriticLoss.HYBRID) {
            loss = loss.add(ce.mean().mul(criticCeWeight));
        }
        Autograd.backward(loss);
        Autograd.update(criticOptimizer, criticParameters);
        busyNanos.addAndGet(System.nanoTime() - started);
    }
}
