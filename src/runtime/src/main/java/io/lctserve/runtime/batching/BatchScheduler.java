package io.lctserve.runtime.batching;

import ai.onnxruntime.OrtException;
import io.lctserve.core.exit.ComputeCost;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.ProgressivePredictor;
import io.lctserve.runtime.StageListener;
import io.lctserve.runtime.StagedSessions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Progressive batching across requests. One queue per stage: a request's samples enter stage 0's
 * queue; a worker takes up to a batch from one queue, runs the stage and the heads its samples'
 * plans need, answers the samples that exit, and puts the survivors in the next stage's queue, where
 * they merge with the survivors of other requests. Every sample keeps its own plan (mode, rule, max
 * stage, deadline), so one batch may mix presets; answers are those of {@link ProgressivePredictor}.
 *
 * <p>Queue order and which queue runs next are {@link StageQueues}'. A sample with a deadline that
 * waits in a queue past the point where its next stage could still meet the deadline is answered
 * from its most confident head so far (a degraded answer) instead of waiting on.
 *
 * <p>Nothing waits for a batch to fill unless {@code maxQueueDelay} says so: a worker takes what is
 * queued, and batches form when requests arrive while the workers are busy. When nothing is queued
 * and a worker's share of the compute is free, a new request runs at once on its caller's thread,
 * through {@link ProgressivePredictor} (the same answers): handing a lone request to a worker thread
 * and back costs two thread wake-ups, as much as the model itself at batch 1 on a small CPU.
 *
 * <p>Why this class is over 300 lines and not split: the three ways a request is answered (alone,
 * batched stage by stage, cut by its deadline) and the workers' life (waiting, and sharing a queue
 * with the idle ones) share one lock, one condition and one set of counters; split apart, each half would need the other's lock held and the
 * invariants between {@code queued}, the queues and the runners would span files. What can live
 * apart already does: the queue policy is {@link StageQueues}', a stage run {@link StageStep}'s.
 */
public final class BatchScheduler implements AutoCloseable {

    private final ProgressivePredictor predictor;
    private final StagedSessions sessions;
    private final StageListener listener;
    private final ComputePermits permits;
    private final BatchingSettings settings;
    private final ComputeCost cost;
    private final long[] inputRowShape;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workArrived = lock.newCondition();
    private final StageQueues queues; // guarded by lock
    private final StageStep step;
    private final List<Thread> workers = new ArrayList<>();
    /** One per worker: held by a worker thread, or by a caller running its request alone, while it computes. */
    private final Semaphore runners;
    /** Samples in all queues; written with the lock held, read without it. */
    private volatile int queued;
    // Guarded by lock:
    private long nextSeq;
    private long nextBatch;
    private int idleWorkers; // waiting in awaitWork
    private volatile boolean closed;

    /**
     * @param predictor the model's one-batch predictor: its sessions and measured stage latencies are shared
     * @param listener hears every stage run and answer (the server's metrics)
     * @param permits held by a worker for each stage run
     * @param name names the worker threads
     */
    public BatchScheduler(
            ProgressivePredictor predictor,
            StageListener listener,
            ComputePermits permits,
            BatchingSettings settings,
            String name) {
        this.predictor = predictor;
        this.sessions = predictor.sessions();
        this.runners = new Semaphore(settings.workers());
        this.listener = listener;
        this.permits = permits;
        this.settings = settings;
        this.cost = sessions.cost();
        List<Long> shape = sessions.manifest().input().shape();
        this.inputRowShape = shape.subList(1, shape.size()).stream()
                .mapToLong(Long::longValue)
                .toArray();
        this.queues = new StageQueues(sessions.exitCount(), settings, predictor.latency());
        this.step = new StageStep(sessions, predictor.latency(), listener);
        for (int i = 0; i < settings.workers(); i++) {
            Thread worker = new Thread(this::work, "lctserve-batch-" + name + "-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    public BatchingSettings settings() {
        return settings;
    }

    /**
     * Queues a batch of samples.
     *
     * @param pixels {@code batch * C * H * W} values in [0, 1], row-major
     * @param shape {@code [batch, C, H, W]}, the model's input shape
     * @param priority lower runs first
     * @throws RejectedExecutionException when the queues hold more work than the queue timeout allows
     *     to start in time, or the scheduler is closed
     */
    public PendingRequest submit(float[] pixels, long[] shape, ExitPlan plan, int priority) {
        return submit(pixels, shape, plan, priority, true);
    }

    /**
     * As {@link #submit(float[], long[], ExitPlan, int)}; with {@code mayRunInline} false the samples
     * always go to the workers, never to the caller's thread (a caller that must not block, such as
     * a network event loop, waits with {@link PendingRequest#whenDone}).
     */
    public PendingRequest submit(float[] pixels, long[] shape, ExitPlan plan, int priority, boolean mayRunInline) {
        int batch = (int) shape[0];
        if (plan.lastStage() >= sessions.exitCount()) {
            throw new IllegalArgumentException(
                    "stage " + plan.lastStage() + " does not exist: the model has " + sessions.exitCount());
        }
        long[] rowShape = Arrays.copyOfRange(shape, 1, shape.length);
        if (batch < 1
                || !Arrays.equals(rowShape, inputRowShape)
                || pixels.length % batch != 0
                || pixels.length != batch * Arrays.stream(rowShape).reduce(1, (a, b) -> a * b)) {
            throw new IllegalArgumentException(pixels.length + " values do not fill a batch of shape "
                    + Arrays.toString(shape) + " for input " + Arrays.toString(inputRowShape));
        }
        long timeout = settings.queueTimeout().toNanos();
        PendingRequest request = new PendingRequest(
                this, plan, priority, batch, sessions.exitCount(), cost.fullModel() * batch, timeout);
        if (mayRunInline && settings.inlineWhenIdle() && queued == 0 && !closed && runners.tryAcquire()) {
            try {
                if (queued == 0 && permits.tryAcquire()) {
                    try {
                        request.completeAlone(predictor.predict(pixels, shape, plan, listener));
                    } catch (Exception | Error e) {
                        request.fail(e);
                    } finally {
                        permits.release();
                    }
                    return request;
                }
            } finally {
                runners.release();
            }
        }
        int perSample = pixels.length / batch;
        lock.lock();
        try {
            if (closed) {
                throw new RejectedExecutionException("the model is being unloaded");
            }
            double waitNanos = queues.estimatedWaitNanos();
            if (waitNanos > timeout) {
                throw new RejectedExecutionException(String.format(
                        "the queue holds about %.0f ms of work, more than the %d ms queue timeout",
                        waitNanos / 1e6, TimeUnit.NANOSECONDS.toMillis(timeout)));
            }
            long now = System.nanoTime();
            for (int i = 0; i < batch; i++) {
                float[] sample = Arrays.copyOfRange(pixels, i * perSample, (i + 1) * perSample);
                queues.add(0, new QueuedSample(request, i, sample, rowShape, nextSeq++, now));
            }
            queued = queues.total();
            int runs = Math.min(settings.workers(), (batch + settings.maxBatchSize() - 1) / settings.maxBatchSize());
            for (int i = 0; i < runs; i++) {
                workArrived.signal();
            }
        } finally {
            lock.unlock();
        }
        return request;
    }

    /**
     * Whether a request submitted now would run at once on its caller's thread (nothing queued, a
     * worker's share of compute free, lone requests run inline): a caller that must not block can
     * hand such a request to a thread that may.
     */
    public boolean runsInlineNow() {
        return settings.inlineWhenIdle() && queued == 0 && !closed && runners.availablePermits() > 0;
    }

    /** Workers waiting for work now. */
    int idleWorkers() {
        lock.lock();
        try {
            return idleWorkers;
        } finally {
            lock.unlock();
        }
    }

    /** Samples waiting in each stage's queue now. */
    public int[] queueLengths() {
        lock.lock();
        try {
            return queues.lengths();
        } finally {
            lock.unlock();
        }
    }

    /** How long a request arriving now would wait: the queued samples' next stages, over the workers. */
    public double estimatedWaitNanos() {
        lock.lock();
        try {
            return queues.estimatedWaitNanos();
        } finally {
            lock.unlock();
        }
    }

    /** Takes the request's samples out of the queue if none has run yet; false if one has. */
    boolean withdrawIfNotStarted(PendingRequest request) {
        lock.lock();
        try {
            if (request.started()) {
                return false;
            }
            queues.withdraw(request);
            queued = queues.total();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A batch a worker took: stage k for these samples, and the answers the deadline sweep cut. */
    private record Taken(int stage, List<QueuedSample> samples, List<QueuedSample> cut, long id, long now) {}

    private void work() {
        while (true) {
            Taken taken;
            try {
                awaitWork();
                runners.acquire();
            } catch (InterruptedException e) {
                return;
            }
            try {
                permits.acquire(); // samples stay queued (and ordered) while the worker waits for compute
            } catch (InterruptedException e) {
                runners.release();
                return;
            }
            try {
                lock.lock();
                try {
                    if (closed) {
                        return;
                    }
                    taken = take(System.nanoTime());
                } finally {
                    lock.unlock();
                }
                if (taken == null) {
                    continue; // another worker took it
                }
                step.answerCut(taken.cut);
                if (!taken.samples.isEmpty()) {
                    try {
                        run(taken);
                    } catch (Throwable t) { // a failed run fails its requests, never the worker
                        taken.samples.forEach(s -> s.request.fail(t));
                    }
                }
            } finally {
                permits.release();
                runners.release();
            }
        }
    }

    /** Returns when a queue is ready to run or a deadline may need a cut, or the scheduler closed. */
    private void awaitWork() throws InterruptedException {
        lock.lock();
        try {
            while (!closed && queues.choose(System.nanoTime()) < 0 && !queues.cutDue(System.nanoTime())) {
                long wait = queues.untilReadyNanos(System.nanoTime());
                idleWorkers++;
                try {
                    if (wait == Long.MAX_VALUE) {
                        workArrived.await();
                    } else {
                        workArrived.awaitNanos(wait);
                    }
                } finally {
                    idleWorkers--;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The next batch to run (and the answers the deadline sweep cut), or null; with the lock held. */
    private Taken take(long now) {
        List<QueuedSample> cut = queues.sweepDeadlines(now);
        int chosen = queues.choose(now);
        List<QueuedSample> samples = chosen < 0 ? List.of() : queues.poll(chosen, idleWorkers);
        queued = queues.total();
        if (queued > 0 && idleWorkers > 0) {
            workArrived.signal(); // an idle worker takes its share of what is left
        }
        if (chosen < 0 && cut.isEmpty()) {
            return null;
        }
        return new Taken(chosen, samples, cut, nextBatch++, now);
    }

    private void run(Taken taken) throws OrtException {
        List<QueuedSample> survivors = step.run(taken.stage, taken.samples, taken.id, taken.now);
        if (!survivors.isEmpty()) {
            enqueue(taken.stage + 1, survivors);
        }
    }

    private void enqueue(int stage, List<QueuedSample> survivors) {
        lock.lock();
        try {
            if (closed) {
                RejectedExecutionException gone = new RejectedExecutionException("the model is being unloaded");
                survivors.forEach(s -> s.request.fail(gone));
                return;
            }
            long now = System.nanoTime();
            for (int i = 0; i < survivors.size(); i++) {
                QueuedSample s = survivors.get(i);
                s.stage = stage;
                s.enqueuedNanos = now;
                queues.add(stage, s);
            }
            queued = queues.total();
            // this worker takes the next batch itself; wake another for work beyond that one batch,
            // or to share it when it has more than one sample and another worker is idle
            if (queues.moreThanOneBatch() || (idleWorkers > 0 && queued > 1)) {
                workArrived.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the workers once they finish the batches they hold; requests still queued are refused
     * (a server drains its requests before it closes its models, so normally none are).
     */
    @Override
    public void close() {
        List<QueuedSample> left = new ArrayList<>();
        lock.lock();
        try {
            closed = true;
            left.addAll(queues.drain());
            queued = 0;
            workArrived.signalAll();
        } finally {
            lock.unlock();
        }
        RejectedExecutionException gone = new RejectedExecutionException("the model is being unloaded");
        left.forEach(s -> s.request.fail(gone));
        for (Thread worker : workers) {
            try {
                worker.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
