package io.lctserve.trainer.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import io.lctserve.core.data.ImageSet;
import io.lctserve.trainer.data.BatchSampler;
import io.lctserve.trainer.nn.StagedNetwork;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains a {@link StagedNetwork} by local critic training or, for the baseline, by backprop.
 *
 * <p>One LCT step on a minibatch (x, y), all from one forward pass:
 *
 * <ol>
 *   <li>Forward every stage on its predecessor's output with the gradient stopped at its input,
 *       and every head on its stage's output; per-sample losses L_k = CE(head_k, y).
 *   <li>Backward sum_k mean(L_k): stage k receives only dL_k (its input is detached). Update the
 *       stages and the main classifier (SGD). The critics' cross-entropy gradients from this pass
 *       are discarded: the paper gives critics no direct cross-entropy gradient.
 *   <li>Run each critic again on its stage's detached output and backward the cascaded loss
 *       mean|L_k - L_{k+1}| (target detached); update the critics (Adam).
 * </ol>
 */
public final class LocalCriticTrainer {

    private static final int WARMUP_EPOCH_FRACTION = 2; // warm up over half an epoch

    private final StagedNetwork network;
    private final TrainingOptions options;
    private final PrintStream log;

    public LocalCriticTrainer(StagedNetwork network, TrainingOptions options, PrintStream log) {
        this.network = network;
        this.options = options;
        this.log = log;
    }

    /**
     * Trains in place (initializing the parameters from the seed unless they already are); returns
     * what happened, epoch by epoch.
     */
    public TrainingHistory fit(NDManager manager, ImageSet train, ImageSet validation) {
        Engine.getInstance().setRandomSeed((int) options.seed());
        if (!network.isInitialized()) {
            network.initialize(manager);
        }
        int n = network.stageCount();
        BatchSampler sampler = new BatchSampler(train, options.batchSize(), options.augment(), options.seed());
        int steps = sampler.batchesPerEpoch() * options.epochs();
        int warmup = Math.max(1, sampler.batchesPerEpoch() / WARMUP_EPOCH_FRACTION);
        Optimizer mainOptimizer = Optimizer.sgd()
                .setLearningRateTracker(schedule(options.learningRate(), steps, warmup))
                .optMomentum(options.momentum())
                .optWeightDecays(options.weightDecay())
                .build();
        Optimizer criticOptimizer = Optimizer.adam()
                .optLearningRateTracker(schedule(options.criticLearningRate(), steps, warmup))
                .build();
        List<Parameter> mainParameters = new ArrayList<>();
        List<Parameter> criticParameters = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            mainParameters.addAll(network.stageParameters(k));
            (k < n - 1 ? criticParameters : mainParameters).addAll(network.headParameters(k));
        }

        ParameterStore parameters = new ParameterStore(manager, false);
        TrainingHistory history = new TrainingHistory(options);
        ProgressBar bar = new ProgressBar(log);
        float[] pixels = new float[options.batchSize() * train.pixelsPerImage()];
        long[] labels = new long[options.batchSize()];
        Shape batchShape = new Shape(options.batchSize(), 1, train.rows(), train.cols());
        long started = System.nanoTime();
        int stepsDone = 0;
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            sampler.shuffle();
            long epochStart = System.nanoTime();
            double lossSum = 0;
            long[] correct = new long[n];
            int batches = sampler.batchesPerEpoch();
            for (int b = 0; b < batches; b++) {
                sampler.batch(b, pixels, labels);
                try (NDManager batchManager = manager.newSubManager()) {
                    NDArray x = batchManager.create(pixels, batchShape);
                    NDArray y = batchManager.create(labels);
                    lossSum += step(
                            parameters,
                            x,
                            y,
                            mainOptimizer,
                            mainParameters,
                            criticOptimizer,
                            criticParameters,
                            correct);
                }
                stepsDone++;
                double seconds = (System.nanoTime() - epochStart) / 1e9;
                double rate = (b + 1) * options.batchSize() / seconds;
                double eta = (steps - stepsDone) * options.batchSize() / rate;
                bar.update(
                        epoch,
                        options.epochs(),
                        b + 1,
                        batches,
                        lossSum / (b + 1),
                        fractions(correct, (b + 1) * options.batchSize()),
                        rate,
                        eta);
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            double[] validationAccuracy = validation.size() == 0
                    ? new double[0]
                    : HeadEvaluation.accuracy(
                            new DjlStagedForward(network, manager).logits(validation), validation.labels());
            history.addEpoch(
                    lossSum / batches,
                    fractions(correct, batches * options.batchSize()),
                    validationAccuracy,
                    batches * options.batchSize() / seconds);
            if (validationAccuracy.length > 0) {
                log.println("  validation head accuracy " + format(validationAccuracy));
            }
        }
        history.setWallSeconds((System.nanoTime() - started) / 1e9);
        return history;
    }

    /** One minibatch; returns the summed mean head losses of the forward pass. */
    private double step(
            ParameterStore ps,
            NDArray x,
            NDArray y,
            Optimizer mainOptimizer,
            List<Parameter> mainParameters,
            Optimizer criticOptimizer,
            List<Parameter> criticParameters,
            long[] correct) {
        int n = network.stageCount();
        boolean lct = options.mode() == TrainingMode.LCT;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            List<NDArray> features = new ArrayList<>(n);
            List<NDArray> losses = new ArrayList<>(n);
            NDArray h = x;
            NDArray total = null;
            for (int k = 0; k < n; k++) {
                NDArray stageInput = lct ? h.stopGradient() : h;
                h = network.stage(k)
                        .block()
                        .forward(ps, new NDList(stageInput), true)
                        .singletonOrThrow();
                features.add(h);
                // In backprop mode the critics are probes: they must not steer the stages.
                NDArray headInput = !lct && k < n - 1 ? h.stopGradient() : h;
                NDArray logits = network.head(k)
                        .block()
                        .forward(ps, new NDList(headInput), true)
                        .singletonOrThrow();
                correct[k] += logits.argMax(1).eq(y).sum().getLong();
                NDArray loss = CascadedCriticLoss.crossEntropy(logits, y);
                losses.add(loss);
                total = total == null ? loss.mean() : total.add(loss.mean());
            }
            collector.backward(total);
            update(mainOptimizer, mainParameters);
            if (!lct) {
                update(criticOptimizer, criticParameters);
                return total.getFloat();
            }
            zeroGradients(criticParameters);
            NDArray cascade = null;
            for (int k = 0; k < n - 1; k++) {
                NDArray logits = network.head(k)
                        .block()
                        .forward(ps, new NDList(features.get(k).stopGradient()), true)
                        .singletonOrThrow();
                NDArray criticLoss = CascadedCriticLoss.crossEntropy(logits, y);
                NDArray loss = CascadedCriticLoss.cascaded(criticLoss, losses.get(k + 1));
                if (options.criticCeWeight() > 0) {
                    loss = loss.add(criticLoss.mean().mul(options.criticCeWeight()));
                }
                cascade = cascade == null ? loss : cascade.add(loss);
            }
            collector.backward(cascade);
            update(criticOptimizer, criticParameters);
            return total.getFloat();
        }
    }

    /** Applies one optimizer step; DJL's PyTorch optimizers zero each gradient they consume. */
    private static void update(Optimizer optimizer, List<Parameter> parameters) {
        for (Parameter p : parameters) {
            NDArray weight = p.getArray();
            try (NDArray grad = weight.getGradient()) {
                optimizer.update(p.getId(), weight, grad);
            }
        }
    }

    private static void zeroGradients(List<Parameter> parameters) {
        for (Parameter p : parameters) {
            try (NDArray grad = p.getArray().getGradient()) {
                grad.subi(grad);
            }
        }
    }

    private static Tracker schedule(float base, int steps, int warmup) {
        Tracker cosine = CosineTracker.builder()
                .setBaseValue(base)
                .optFinalValue(base * 1e-3f)
                .setMaxUpdates(Math.max(1, steps - warmup))
                .build();
        return WarmUpTracker.builder()
                .setMainTracker(cosine)
                .optWarmUpBeginValue(base * 0.1f)
                .optWarmUpSteps(warmup)
                .build();
    }

    private static double[] fractions(long[] counts, long total) {
        double[] f = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            f[i] = total == 0 ? 0 : counts[i] / (double) total;
        }
        return f;
    }

    static String format(double[] values) {
        StringBuilder sb = new StringBuilder("[");
        for (double v : values) {
            sb.append(sb.length() > 1 ? " " : "").append(String.format(Locale.ROOT, "%.4f", v));
        }
        return sb.append(']').toString();
    }
}
