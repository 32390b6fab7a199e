package io.lctserve.trainer.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.lctserve.core.data.ImageSet;
import io.lctserve.trainer.data.BatchSampler;
import io.lctserve.trainer.nn.StagedNetwork;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Trains a {@link StagedNetwork}: by local critic training in a {@link StagePipeline} (one worker, or
 * one per group of stages), or end to end ({@link EndToEndStep}: backprop with probe heads, joint
 * multi-exit). Epoch by epoch: shuffle, train every batch, measure every head on the validation
 * images with all workers idle.
 */
public final class LocalCriticTrainer {

    private final StagedNetwork network;
    private final TrainingOptions options;
    private final PrintStream log;
    private Path checkpoints;
    private boolean resume;
    private IntConsumer afterEpoch = epoch -> {};

    public LocalCriticTrainer(StagedNetwork network, TrainingOptions options, PrintStream log) {
        this.network = network;
        this.options = options;
        this.log = log;
    }

    /**
     * Writes a {@link Checkpoint} into {@code folder} after every epoch and removes it at the end; with
     * {@code resume}, starts from the one there.
     */
    public LocalCriticTrainer checkpointingIn(Path folder, boolean resume) {
        this.checkpoints = folder;
        this.resume = resume;
        return this;
    }

    /** Called with each finished epoch's number once its checkpoint is written. */
    LocalCriticTrainer afterEpoch(IntConsumer listener) {
        this.afterEpoch = listener;
        return this;
    }

    /**
     * Trains in place (initializing the parameters from the seed unless they already are); returns
     * what happened, epoch by epoch.
     */
    public TrainingHistory fit(NDManager manager, ImageSet train, ImageSet validation)
            throws InterruptedException, IOException {
        Engine.getInstance().setRandomSeed((int) options.seed());
        if (!network.isInitialized()) {
            network.initialize(manager);
        }
        BatchSampler sampler = new BatchSampler(train, options.batchSize(), options.augmentation(), options.seed());
        int batches = sampler.batchesPerEpoch();
        if (batches == 0) {
            throw new IllegalArgumentException("the training data (" + train.size()
                    + " images) is smaller than one batch (" + options.batchSize() + "): lower --batch-size");
        }
        // A pipelined cascade's critics lag; otherwise the worker count changes nothing a checkpoint holds.
        String settings = network.config() + " "
                + options.withParallelism(
                        Parallelism.pipelined(options.parallelism().lagged() ? 2 : 1, 1)) + " "
                + train.size();
        Checkpoint.State resumed = resume ? Checkpoint.load(checkpoints, network, manager, settings) : null;
        int done = resumed == null ? 0 : resumed.epochsDone();
        if (resumed != null) {
            sampler.restore(resumed.sampler());
            log.println("resuming after epoch " + done + " from " + checkpoints.resolve(Checkpoint.FILE));
        }
        Schedules schedules = new Schedules(batches * options.epochs(), options.warmupSteps(), done * batches);
        ParameterStore parameters = new ParameterStore(manager, false);
        HeadCounters counters = new HeadCounters(network.stageCount());
        ProgressBar bar = new ProgressBar(log);
        StagePipeline pipeline = options.mode() == TrainingMode.LCT
                ? new StagePipeline(network, options, schedules, parameters, counters, bar::note)
                : null;
        EndToEndStep endToEnd =
                pipeline == null ? new EndToEndStep(network, options, schedules, parameters, counters) : null;
        TrainingHistory history = new TrainingHistory(options, schedules.describe());
        double earlierSeconds = resumed == null ? 0 : resumed.wallSeconds();
        if (resumed != null) {
            history.restore(resumed.history());
        }
        long started = System.nanoTime();
        for (int epoch = done + 1; epoch <= options.epochs(); epoch++) {
            sampler.shuffle();
            counters.reset();
            long epochStart = System.nanoTime();
            Progress progress = new Progress(bar, counters, epoch, done + 1, batches, epochStart, started);
            List<Map<String, Object>> workers = null;
            if (pipeline != null) {
                List<PipelineWorker> finished = pipeline.runEpoch(manager, sampler, batches, progress::pipeline);
                workers = workerRecords(finished);
            } else {
                trainEndToEnd(manager, sampler, batches, endToEnd, progress);
            }
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            double[] validationAccuracy = validation.size() == 0
                    ? new double[0]
                    : HeadEvaluation.accuracy(
                            new DjlStagedForward(network, manager).logits(validation), validation.labels());
            history.addEpoch(
                    counters.meanLoss(),
                    counters.accuracy(),
                    validationAccuracy,
                    batches * options.batchSize() / seconds,
                    seconds,
                    workers);
            if (validationAccuracy.length > 0) {
                log.println("  validation head accuracy " + format(validationAccuracy));
            }
            if (checkpoints != null) {
                double wall = earlierSeconds + (System.nanoTime() - started) / 1e9;
                Checkpoint.save(
                        checkpoints,
                        network,
                        settings,
                        new Checkpoint.State(epoch, wall, history.epochs(), sampler.state()));
            }
            if (pipeline != null && pipeline.choice() != null) {
                history.setPipelineChoice(pipeline.choice());
            }
            afterEpoch.accept(epoch);
        }
        if (checkpoints != null) {
            Checkpoint.remove(checkpoints);
        }
        history.setWallSeconds(earlierSeconds + (System.nanoTime() - started) / 1e9);
        return history;
    }

    private void trainEndToEnd(
            NDManager manager, BatchSampler sampler, int batches, EndToEndStep step, Progress progress) {
        float[] pixels = new float[options.batchSize() * sampler.pixelsPerImage()];
        long[] labels = new long[options.batchSize()];
        Shape shape = new Shape(options.batchSize(), sampler.channels(), sampler.rows(), sampler.cols());
        boolean was = Autograd.enable();
        try {
            for (int b = 0; b < batches; b++) {
                sampler.batch(b, pixels, labels);
                try (NDManager batch = manager.newSubManager()) {
                    step.train(batch.create(pixels, shape), batch.create(labels));
                }
                progress.endToEnd();
            }
        } finally {
            Autograd.restore(was);
        }
    }

    /**
     * Each worker of the epoch's last segment (the whole epoch but a first one's trial), for the history:
     * its stages, images/s and busy fraction over its own run.
     */
    private List<Map<String, Object>> workerRecords(List<PipelineWorker> workers) {
        List<Map<String, Object>> records = new ArrayList<>();
        for (PipelineWorker w : workers) {
            long epochNanos = Math.max(1, w.spanNanos);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("stages", w.stages());
            r.put(
                    "imagesPerSecond",
                    Math.round(w.batchesDone.get() * (double) options.batchSize() / (epochNanos / 1e9)));
            r.put("busy", Math.round(100.0 * w.busyNanos.get() / epochNanos) / 100.0);
            records.add(r);
        }
        return records;
    }

    /** The progress line of one epoch: batches done by the last head, and under the pipeline each worker's rate and queue. */
    private final class Progress {
        private final ProgressBar bar;
        private final HeadCounters counters;
        private final int epoch;
        private final int firstEpoch;
        private final int batches;
        private final long epochStart;
        private final long runStart;

        Progress(
                ProgressBar bar,
                HeadCounters counters,
                int epoch,
                int firstEpoch,
                int batches,
                long epochStart,
                long runStart) {
            this.bar = bar;
            this.counters = counters;
            this.epoch = epoch;
            this.firstEpoch = firstEpoch;
            this.batches = batches;
            this.epochStart = epochStart;
            this.runStart = runStart;
        }

        void endToEnd() {
            show("");
        }

        void pipeline(List<PipelineWorker> workers) {
            double seconds = Math.max(1e-9, (System.nanoTime() - epochStart) / 1e9);
            StringBuilder detail = new StringBuilder(" | workers");
            for (PipelineWorker w : workers) {
                detail.append(String.format(
                        Locale.ROOT,
                        " [%s %.0f img/s%s]",
                        w.stages(),
                        w.batchesDone.get() * options.batchSize() / seconds,
                        w.inbox == null ? "" : " q" + w.inbox.size()));
            }
            show(detail.toString());
        }

        private void show(String detail) {
            int done = (int) Math.min(batches, counters.finished());
            double seconds = Math.max(1e-9, (System.nanoTime() - epochStart) / 1e9);
            double rate = done * options.batchSize() / seconds;
            long stepsDone = (long) (epoch - firstEpoch) * batches + done; // by this process
            long stepsLeft = (long) (options.epochs() - epoch + 1) * batches - done;
            double perStep = stepsDone == 0 ? 0 : (System.nanoTime() - runStart) / 1e9 / stepsDone;
            bar.update(
                    epoch,
                    options.epochs(),
                    done,
                    batches,
                    counters.meanLoss(),
                    counters.accuracy(),
                    rate,
                    stepsLeft * perStep,
                    detail);
        }
    }

    static String format(double[] values) {
        StringBuilder sb = new StringBuilder("[");
        for (double v : values) {
            sb.append(sb.length() > 1 ? " " : "").append(String.format(Locale.ROOT, "%.4f", v));
        }
        return sb.append(']').toString();
    }
}
