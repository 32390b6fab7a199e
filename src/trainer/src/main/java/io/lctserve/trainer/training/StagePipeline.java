package io.lctserve.trainer.training;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.lctserve.trainer.data.BatchSampler;
import io.lctserve.trainer.nn.StagedNetwork;
import java.util.ArrayList;
import java.util.List;
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
 * first epoch splits the stages by their MACs; later epochs by each stage's measured time in the
 * epoch before. Batch-norm statistics live in their stage, so only that stage's worker touches them;
 * the seed fixes initialization and the data order.
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
    private final int workers;
    private final int lag;
    private double[] costs;

    StagePipeline(
            StagedNetwork network,
            TrainingOptions options,
            Schedules schedules,
            ParameterStore parameters,
            HeadCounters counters) {
        int n = network.stageCount();
        costs = new double[n];
        for (int k = 0; k < n; k++) {
            costs[k] = network.stage(k).macs() + network.head(k).macs();
            learners.add(new StageLearner(network, k, options, schedules, parameters, counters));
        }
        this.workers = Math.min(options.workers(), n);
        this.lag = workers > 1 ? LAG : 0;
    }

    private List<List<StageLearner>> groups() {
        List<List<StageLearner>> groups = new ArrayList<>();
        for (int[] group : StageGroups.partition(costs, workers)) {
            List<StageLearner> members = new ArrayList<>();
            for (int k : group) {
                members.add(learners.get(k));
            }
            groups.add(members);
        }
        return groups;
    }

    /**
     * Trains one epoch: {@code batches} batches from {@code sampler} through every stage. Calls {@code
     * progress} about twice a second from this thread; returns the workers (for their counters) once
     * all have finished.
     *
     * @throws PipelineFailure when a worker fails; the others stop and the epoch's arrays are freed
     */
    List<PipelineWorker> runEpoch(
            NDManager manager, BatchSampler sampler, int batches, Consumer<List<PipelineWorker>> progress)
            throws InterruptedException {
        List<List<StageLearner>> groups = groups();
        int w = groups.size();
        AtomicReference<PipelineFailure> failure = new AtomicReference<>();
        List<BlockingQueue<PipelineWorker.Handoff>> inboxes = new ArrayList<>();
        for (int i = 0; i < w; i++) {
            inboxes.add(i == 0 ? null : new ArrayBlockingQueue<>(QUEUE_CAPACITY));
        }
        for (StageLearner learner : learners) {
            learner.busyNanos.set(0);
            learner.targets.clear();
            learner.pending.clear();
        }
        try (NDManager epoch = manager.newSubManager()) {
            List<PipelineWorker> workers = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < w; i++) {
                PipelineWorker worker = new PipelineWorker(
                        groups.get(i),
                        inboxes.get(i),
                        i < w - 1 ? inboxes.get(i + 1) : null,
                        i > 0 ? learners.get(groups.get(i).get(0).stage - 1) : null,
                        lag,
                        epoch,
                        failure);
                workers.add(worker);
                threads.add(new Thread(worker, "lct-stage-" + worker.stages()));
            }
            workers.get(0).feedFrom(sampler, batches);
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                while (t.isAlive()) {
                    t.join(500);
                    progress.accept(workers);
                }
            }
            if (failure.get() != null) {
                throw failure.get();
            }
            for (int k = 0; k < costs.length; k++) {
                costs[k] = Math.max(1, learners.get(k).busyNanos.get());
            }
            return workers;
        }
    }
}
