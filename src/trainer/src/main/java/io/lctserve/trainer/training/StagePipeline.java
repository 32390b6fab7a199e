package io.lctserve.trainer.training;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.lctserve.trainer.data.BatchSampler;
import io.lctserve.trainer.nn.StagedNetwork;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Local critic training as a pipeline (the model-parallel form of the TNNLS 2021 extension of LCT):
 * the stages split into consecutive groups, one worker thread per group, activations handed forward
 * detached through bounded queues, each worker updating its stages as soon as its batch arrives.
 * With one worker this is sequential LCT, the stages one after another on one thread.
 *
 * <p>Each stage sees the same batches in the same order with the same parameters as sequential
 * training would give it, so under the per-head cross-entropy loss a pipelined run is the sequential
 * run; under the cascaded losses every critic learns from the next head's loss {@link #LAG} batches
 * late (see {@link PipelineWorker}), so a pipelined run is the same run for any worker count. The
 * stages split by each stage's measured time: a fixed pipeline's first epoch starts with one
 * segment split by MACs that times them. Under {@code --pipeline auto} every epoch starts with
 * {@link PipelineChoice}'s trial segments (the first epoch's longer), whose timings add up over the
 * run, and the rest of the epoch runs the worker count fastest so far; each worker runs with its
 * share of the cores as PyTorch intra-op threads (set before its thread starts, which reads it at
 * its first operation).
 * Batch-norm statistics live in their stage, so only that stage's worker touches them; the seed
 * fixes initialization and the data order.
 */
final class StagePipeline {

    /** Batches a worker may run ahead of the next: bounds the activations in flight. */
    static final int QUEUE_CAPACITY = 2;

    /**
     * Batches a cascaded critic's step trails its stage's under the pipeline: large enough that a
     * worker seldom waits for its target, fixed so the run does not depend on thread timing.
     */
    static final int LAG = 3;

    private final List<StageLearner> learners = new ArrayList<>();
    private final Parallelism parallelism;
    private final int lag;
    private final int batchSize;
    private final Consumer<String> log;
    private final double[] costs;
    private final double[] measured;
    private int workers; // under --pipeline auto 0 until the first trial has chosen
    private PipelineChoice trial; // --pipeline auto's timings so far
    private Map<String, Object> choice;
    private int epochs; // begun
    private boolean timed; // the stages' costs are measured, not MACs

    /** @param log gets one line when {@code --pipeline auto} has chosen */
    StagePipeline(
            StagedNetwork network,
            TrainingOptions options,
            Schedules schedules,
            ParameterStore parameters,
            HeadCounters counters,
            Consumer<String> log) {
        int n = network.stageCount();
        costs = new double[n];
        measured = new double[n];
        for (int k = 0; k < n; k++) {
            costs[k] = network.stage(k).macs() + network.head(k).macs();
            learners.add(new StageLearner(network, k, options, schedules, parameters, counters));
        }
        this.parallelism = options.parallelism();
        this.workers = parallelism.choose() ? 0 : Math.min(parallelism.workers(), n);
        this.lag = parallelism.lagged() ? LAG : 0;
        this.batchSize = options.batchSize();
        this.log = log;
    }

    /** What {@code --pipeline auto} chose so far and why; null for a fixed setting or before the first epoch. */
    Map<String, Object> choice() {
        return choice;
    }

    private List<List<StageLearner>> groups(int w) {
        List<List<StageLearner>> groups = new ArrayList<>();
        for (int[] group : StageGroups.partition(costs, w)) {
            List<StageLearner> members = new ArrayList<>();
            for (int k : group) {
                members.add(learners.get(k));
            }
            groups.add(members);
        }
        return groups;
    }

    private String groupNames(int w) {
        StringBuilder sb = new StringBuilder();
        for (int[] group : StageGroups.partition(costs, w)) {
            sb.append(sb.isEmpty() ? "" : " | ")
                    .append(group.length == 1 ? group[0] : group[0] + "-" + group[group.length - 1]);
        }
        return sb.toString();
    }

    /**
     * Trains one epoch: {@code batches} batches from {@code sampler} through every stage (under
     * {@code --pipeline auto}, the first epoch's first batches in trial segments). Calls {@code
     * progress} about twice a second from this thread; returns the workers of the epoch's last
     * segment (for their counters) once all have finished, with every core left to this thread.
     *
     * @throws PipelineFailure when a worker fails; the others stop and the epoch's arrays are freed
     */
    List<PipelineWorker> runEpoch(
            NDManager manager, BatchSampler sampler, int batches, Consumer<List<PipelineWorker>> progress)
            throws InterruptedException {
        for (StageLearner learner : learners) {
            learner.busyNanos.set(0);
            learner.targets.clear();
            learner.pending.clear();
        }
        Arrays.fill(measured, 0);
        epochs++;
        try (NDManager epoch = manager.newSubManager()) {
            int from = 0;
            if (parallelism.choose()) {
                from = choose(epoch, sampler, batches, progress);
            } else if (workers > 1 && !timed && batches >= 2 * PipelineChoice.MAX_SEGMENT) {
                from = PipelineChoice.MAX_SEGMENT; // split by MACs only while the stages are timed
                segment(epoch, sampler, 0, from, workers, false, progress);
            }
            return segment(epoch, sampler, from, batches, workers, true, progress);
        } finally {
            JniUtils.setNumThreads(parallelism.cores()); // validation runs on this thread, the workers idle
        }
    }

    /**
     * Runs this epoch's {@link PipelineChoice} trial segments from batch 0, adds their timings to the
     * run's, and settles {@link #workers} on the fastest so far; returns the next batch.
     */
    private int choose(NDManager epoch, BatchSampler sampler, int batches, Consumer<List<PipelineWorker>> progress)
            throws InterruptedException {
        int most = Math.min(parallelism.workers(), costs.length);
        if (trial == null) {
            trial = new PipelineChoice(most, batches);
        }
        int from = 0;
        int size = trial.segment();
        if (size > 0) {
            List<Integer> schedule = trial.schedule(epochs);
            for (int i = 0; i < schedule.size(); i++) {
                long started = System.nanoTime();
                segment(epoch, sampler, from, from + size, schedule.get(i), false, progress);
                if (epochs > 1 || i > 0) { // the run's first segment warms up
                    trial.record(schedule.get(i), size, System.nanoTime() - started);
                }
                from += size;
            }
        }
        int before = workers;
        workers = trial.best();
        choice = trial.record(parallelism, batchSize, groupNames(workers));
        if (workers != before) {
            log.accept(
                    "--pipeline auto" + (before == 0 ? "" : ", epoch " + epochs + ", now") + ": " + choice.get("why"));
        }
        return from;
    }

    /** Batches {@code from..to-1} through {@code w} workers; {@code endsEpoch}: the cascaded critics' last steps follow. */
    private List<PipelineWorker> segment(
            NDManager epoch,
            BatchSampler sampler,
            int from,
            int to,
            int w,
            boolean endsEpoch,
            Consumer<List<PipelineWorker>> progress)
            throws InterruptedException {
        JniUtils.setNumThreads(parallelism.threadsPer(w)); // each new worker thread starts with this many
        List<List<StageLearner>> groups = groups(w);
        int g = groups.size();
        long[] before = new long[learners.size()];
        for (int k = 0; k < before.length; k++) {
            before[k] = learners.get(k).busyNanos.get();
        }
        AtomicReference<PipelineFailure> failure = new AtomicReference<>();
        List<BlockingQueue<PipelineWorker.Handoff>> inboxes = new ArrayList<>();
        for (int i = 0; i < g; i++) {
            inboxes.add(i == 0 ? null : new ArrayBlockingQueue<>(QUEUE_CAPACITY));
        }
        List<PipelineWorker> running = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < g; i++) {
            PipelineWorker worker = new PipelineWorker(
                    groups.get(i),
                    inboxes.get(i),
                    i < g - 1 ? inboxes.get(i + 1) : null,
                    i > 0 ? learners.get(groups.get(i).get(0).stage - 1) : null,
                    lag,
                    epoch,
                    failure);
            running.add(worker);
            threads.add(new Thread(worker, "lct-stage-" + worker.stages()));
        }
        running.get(0).feedFrom(sampler, from, to, endsEpoch);
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            while (t.isAlive()) {
                t.join(500);
                progress.accept(running);
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        if (g > 1) { // one thread per group: each stage's time alone, what the split balances
            for (int k = 0; k < costs.length; k++) {
                measured[k] += learners.get(k).busyNanos.get() - before[k];
                costs[k] = Math.max(1, measured[k]);
            }
            timed = true;
        }
        return running;
    }
}
