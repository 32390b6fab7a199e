package io.lctserve.trainer.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.lctserve.trainer.data.BatchSampler;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One worker of the LCT pipeline: a group of consecutive stages on its own thread, for one epoch.
 * It takes each batch from its inbox (the first worker cuts them from the sampler), runs its stages'
 * local steps in order, and hands the last stage's output, detached, to the next worker through a
 * bounded queue.
 *
 * <p>Under the cascaded critic losses, stage k+1 sends its head's per-sample loss back to critic k.
 * With {@code lag} 0 (one worker: sequential LCT, the paper's algorithm) critic k learns from it at
 * once; in a pipeline every critic learns from batch b's target right after its stage's step on batch
 * b + lag, wherever the next stage runs. The order of every update is then fixed by the batches alone,
 * so a pipelined run is the same run for any number of workers and any thread timing.
 */
final class PipelineWorker implements Runnable {

    /**
     * A batch between workers; {@code batch < 0} ends the worker's run: {@link #END} the epoch's, after
     * the cascaded critics' last steps, {@link #PAUSE} a trial segment's, their steps still to come.
     * The receiver closes {@code manager}.
     */
    record Handoff(int batch, NDManager manager, NDArray features, NDArray labels) {
        static final Handoff END = new Handoff(-1, null, null, null);
        static final Handoff PAUSE = new Handoff(-2, null, null, null);
    }

    /** Head k+1's per-sample loss on a batch, sent back to critic k. */
    record Target(int batch, NDManager manager, NDArray loss) {}

    /** Batch and features a critic keeps until its target arrives. */
    record Pending(int batch, NDManager manager, NDArray features, NDArray labels) {}

    /** The worker stopped because another one failed. */
    private static final class Aborted extends RuntimeException {
        Aborted() {
            super(null, null, false, false);
        }
    }

    private static final long POLL_MS = 100;

    final List<StageLearner> learners;
    final BlockingQueue<Handoff> inbox;
    final AtomicInteger batchesDone = new AtomicInteger();
    final AtomicLong busyNanos = new AtomicLong();
    volatile long spanNanos; // from its start to its end, once ended
    private final BlockingQueue<Handoff> outbox;
    private final StageLearner previousStage;
    private final int lag;
    private final NDManager epoch;
    private final AtomicReference<PipelineFailure> failure;
    private BatchSampler sampler;
    private int first;
    private int end;
    private boolean endsEpoch;
    private float[] pixels; // the first worker's batch buffers, reused: arrays are created as copies
    private long[] labels;

    /**
     * @param previousStage the learner of the stage before this worker's first, which gets that
     *     stage's losses as its targets; null for the first worker
     * @param lag batches a cascaded critic's step trails its stage's
     */
    PipelineWorker(
            List<StageLearner> learners,
            BlockingQueue<Handoff> inbox,
            BlockingQueue<Handoff> outbox,
            StageLearner previousStage,
            int lag,
            NDManager epoch,
            AtomicReference<PipelineFailure> failure) {
        this.learners = learners;
        this.inbox = inbox;
        this.outbox = outbox;
        this.previousStage = previousStage;
        this.lag = lag;
        this.epoch = epoch;
        this.failure = failure;
    }

    /**
     * Makes this the first worker: it cuts the epoch's batches {@code first..end-1} from {@code sampler}
     * itself; {@code endsEpoch}: they are the epoch's last.
     */
    void feedFrom(BatchSampler sampler, int first, int end, boolean endsEpoch) {
        this.sampler = sampler;
        this.first = first;
        this.end = end;
        this.endsEpoch = endsEpoch;
        this.pixels = new float[sampler.batchSize() * sampler.pixelsPerImage()];
        this.labels = new long[sampler.batchSize()];
    }

    String stages() {
        int first = learners.get(0).stage;
        int last = learners.get(learners.size() - 1).stage;
        return first == last ? Integer.toString(first) : first + "-" + last;
    }

    @Override
    public void run() {
        boolean was = Autograd.enable();
        long started = System.nanoTime();
        try {
            work();
        } catch (Aborted e) {
            // another worker failed; the pipeline reports that one
        } catch (Throwable e) {
            failure.compareAndSet(null, new PipelineFailure(stages(), e));
        } finally {
            spanNanos = System.nanoTime() - started;
            Autograd.restore(was);
        }
    }

    private void work() throws InterruptedException {
        for (int b = first; ; b++) {
            Handoff in = sampler != null ? cut(b) : take(inbox);
            if (in.batch() < 0) {
                for (StageLearner learner : learners) {
                    while (in == Handoff.END && !learner.pending.isEmpty()) {
                        trainCritic(learner);
                    }
                }
                if (outbox != null) {
                    put(outbox, in);
                }
                return;
            }
            long started = System.nanoTime();
            Handoff out = null;
            try (NDManager batch = in.manager()) {
                NDArray x = in.features();
                for (int i = 0; i < learners.size(); i++) {
                    StageLearner learner = learners.get(i);
                    StageLearner.Output output = learner.train(x, in.labels());
                    StageLearner previous = i > 0 ? learners.get(i - 1) : previousStage;
                    if (previous != null && previous.criticWaitsForNextLoss()) {
                        if (lag == 0) {
                            previous.trainCritic(x, in.labels(), output.loss()); // x: the previous stage's output
                        } else {
                            NDManager m = epoch.newSubManager();
                            previous.targets.add(new Target(in.batch(), m, handle(output.loss(), m)));
                        }
                    }
                    if (lag > 0 && learner.criticWaitsForNextLoss()) {
                        NDManager m = epoch.newSubManager();
                        learner.pending.add(
                                new Pending(in.batch(), m, handle(output.features(), m), handle(in.labels(), m)));
                        while (learner.pending.size() > lag) {
                            trainCritic(learner);
                        }
                    }
                    x = output.features();
                }
                if (outbox != null) {
                    NDManager m = epoch.newSubManager();
                    out = new Handoff(in.batch(), m, handle(x, m), handle(in.labels(), m));
                }
            }
            busyNanos.addAndGet(System.nanoTime() - started);
            batchesDone.incrementAndGet();
            if (out != null) {
                put(outbox, out);
            }
        }
    }

    private Handoff cut(int b) {
        if (b == end) {
            return endsEpoch ? Handoff.END : Handoff.PAUSE;
        }
        long started = System.nanoTime();
        int size = sampler.batchSize();
        sampler.batch(b, pixels, labels);
        NDManager m = epoch.newSubManager();
        NDArray x = m.create(pixels, new Shape(size, sampler.channels(), sampler.rows(), sampler.cols()));
        // An array made from a Java buffer may point into that buffer: copy the labels into libtorch's
        // own memory before other threads hold handles on them.
        NDArray y = m.create(labels).duplicate();
        long spent = System.nanoTime() - started;
        busyNanos.addAndGet(spent);
        learners.get(0).busyNanos.addAndGet(spent);
        return new Handoff(b, m, x, y);
    }

    /** Critic k's delayed step on its oldest pending batch, once head k+1's loss on it is back. */
    private void trainCritic(StageLearner critic) throws InterruptedException {
        Pending p = critic.pending.poll();
        Target t = take(critic.targets);
        if (t.batch() != p.batch()) {
            throw new IllegalStateException("critic " + critic.stage + " expected the target of batch " + p.batch()
                    + ", got batch " + t.batch());
        }
        long started = System.nanoTime();
        try (NDManager pm = p.manager();
                NDManager tm = t.manager()) {
            critic.trainCritic(p.features(), p.labels(), t.loss());
        }
        busyNanos.addAndGet(System.nanoTime() - started);
    }

    /**
     * A second handle on {@code array}'s storage (libtorch's own memory, counted by reference), owned by
     * {@code owner}: arrays move between threads this way.
     */
    private static NDArray handle(NDArray array, NDManager owner) {
        NDArray h = array.stopGradient();
        h.attach(owner);
        return h;
    }

    private <T> T take(BlockingQueue<T> queue) throws InterruptedException {
        while (true) {
            T value = queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
            if (value != null) {
                return value;
            }
            if (failure.get() != null) {
                throw new Aborted();
            }
        }
    }

    private void put(BlockingQueue<Handoff> queue, Handoff value) throws InterruptedException {
        while (!queue.offer(value, POLL_MS, TimeUnit.MILLISECONDS)) {
            if (failure.get() != null) {
                throw new Aborted();
            }
        }
    }
}
