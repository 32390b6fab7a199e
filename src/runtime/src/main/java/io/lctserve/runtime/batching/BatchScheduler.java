package io.lctserve.runtime.batching;

import io.lctserve.core.exit.ComputeCost;
import io.lctserve.runtime.ProgressivePredictor;
import io.lctserve.runtime.StageDecision;
import io.lctserve.runtime.StageListener;
import io.lctserve.runtime.StagedSessions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Progressive batching across requests. One queue per stage: a request's samples enter stage 0's
 * queue; a worker takes up to a batch from one queue, runs the stage and the heads its samples'
 * plans need, answers the samples that exit, and puts the survivors in the next stage's queue, where
 * they merge with the survivors of other requests. Every sample keeps its own plan (mode, rule, max
 * stage, deadline), so one batch may mix presets; who goes on and who answers is the same
 * {@link StageDecision} as {@link ProgressivePredictor}'s, so the answers are its answers.
 *
 * <p>Queue order and which queue runs next are {@link StageQueues}' (the policy), the queues' lock
 * and the workers' waiting {@link WorkQueue}'s, a stage run {@link StageStep}'s. A sample with a
 * deadline that waits in a queue past the point where its next stage could still meet the deadline
 * is answered from its most confident head so far (a degraded answer) instead of waiting on. One
 * that has no head yet is refused ({@link DeadlineRefusal}) rather than answered late: at submission
 * when the work queued ahead of it and its first stage would end past the deadline, or in the queue
 * at the last moment its first stage could still have ended in time.
 *
 * <p>Nothing waits for a batch to fill unless {@code maxQueueDelay} says so: a worker takes what is
 * queued, and batches form when requests arrive while the workers are busy. When nothing is queued
 * and a worker's share of the compute is free, a new request runs at once on its caller's thread if
 * that thread may compute ({@link Caller}), through {@link ProgressivePredictor}.
 *
 * <p>A request that has not started within the queue timeout, or whose caller cancels it, leaves the
 * queues at once; no further stage runs for it. A progressive caller may ask for a pause after each
 * answer ({@link io.lctserve.runtime.SampleListener#pauseNanos}): its samples then wait that long,
 * outside the queues, before their next stage.
 */
public final class BatchScheduler implements AutoCloseable {

    private final ProgressivePredictor predictor;
    private final StagedSessions sessions;
    private final StageDecision decision;
    private final ScheduledExecutorService timeouts;
    private final StageListener listener;
    private final ComputePermits permits;
    private final BatchingSettings settings;
    private final ComputeCost cost;
    private final long[] inputRowShape;
    private final WorkQueue work;
    private final StageStep step;
    private final List<Thread> workers = new ArrayList<>();
    /** One per worker: held by a worker thread, or by a caller running its request alone, while it computes. */
    private final Semaphore runners;

    /**
     * @param predictor the model's one-batch predictor: its sessions and measured stage latencies are shared
     * @param listener hears every stage run and answer (the server's metrics)
     * @param permits held by a worker for each stage run
     * @param timeouts where queue timeouts are scheduled (its owner shuts it down, after this scheduler)
     * @param name names the worker threads
     */
    public BatchScheduler(
            ProgressivePredictor predictor,
            StageListener listener,
            ComputePermits permits,
            BatchingSettings settings,
            ScheduledExecutorService timeouts,
            String name) {
        this.predictor = predictor;
        this.sessions = predictor.sessions();
        this.decision = predictor.decision();
        this.timeouts = timeouts;
        this.runners = new Semaphore(settings.workers());
        this.listener = listener;
        this.permits = permits;
        this.settings = settings;
        this.cost = sessions.cost();
        List<Long> shape = sessions.manifest().input().shape();
        this.inputRowShape = shape.subList(1, shape.size()).stream()
                .mapToLong(Long::longValue)
                .toArray();
        this.work = new WorkQueue(sessions.exitCount(), settings, predictor.latency());
        this.step = new StageStep(sessions, predictor.latency(), decision, listener);
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
     * Queues a request's samples, or, when nothing is queued and a worker's share of compute is free,
     * runs it at once on the caller's thread as far as the caller may ({@link Caller}): the whole
     * request, or its first stage.
     *
     * @throws RejectedExecutionException when the queues hold more work than the queue timeout allows
     *     to start in time, or the scheduler is closed; a {@link DeadlineRefusal} when the request's
     *     deadline cannot be met
     */
    public PendingRequest submit(Job job, Caller caller) {
        int batch = job.batch();
        decision.check(job.plan());
        float[] pixels = job.pixels();
        long[] rowShape = Arrays.copyOfRange(job.shape(), 1, job.shape().length);
        if (batch < 1
                || !Arrays.equals(rowShape, inputRowShape)
                || pixels.length != batch * Arrays.stream(rowShape).reduce(1, (a, b) -> a * b)) {
            throw new IllegalArgumentException(pixels.length + " values do not fill a batch of shape "
                    + Arrays.toString(job.shape()) + " for input " + Arrays.toString(inputRowShape));
        }
        long timeout = settings.queueTimeout().toNanos();
        PendingRequest request = new PendingRequest(job, sessions.exitCount(), cost.fullModel() * batch, timeout);
        double firstStageNanos = FirstStageDeadline.firstStageNanos(predictor.latency(), settings, batch);
        if (job.plan().hasDeadline()) {
            double wait = runsInlineNow()
                    ? 0
                    : work.waitAheadNanos(job.priority(), job.plan().deadlineNanos());
            FirstStageDeadline.refuseIfMissed(job.plan(), firstStageNanos, wait);
        }
        if (caller == Caller.MAY_COMPUTE && runsInlineNow() && runners.tryAcquire()) {
            try {
                if (work.idle() && permits.tryAcquire()) {
                    try {
                        request.completeAlone(
                                predictor.predict(pixels, job.shape(), job.plan(), listener, request.alone()));
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
        if (caller == Caller.MAY_RUN_FIRST_STAGE && runsInlineNow() && runners.tryAcquire()) {
            try {
                if (permits.tryAcquire()) {
                    try {
                        WorkQueue.Taken first = work.takeAlone(request, pixels, batch, rowShape);
                        if (first != null) {
                            run(first, StageBuffers.once());
                            work.wake(); // its survivors go on in the workers' queues
                            return request;
                        }
                    } finally {
                        permits.release();
                    }
                }
            } finally {
                runners.release();
            }
        }
        work.admit(request, pixels, batch, rowShape);
        // Unstarted, the request leaves its queue at the queue timeout, or, with a deadline, at the last
        // moment its first stage could still end in time.
        long lastStart = FirstStageDeadline.untilLastStartNanos(job.plan(), firstStageNanos);
        boolean byDeadline = lastStart < timeout;
        long expiry = byDeadline ? Math.max(0, lastStart) : timeout;
        ScheduledFuture<?> timer = timeouts.schedule(
                () -> {
                    if (work.withdrawUnstarted(request)) {
                        if (byDeadline) {
                            request.fail(FirstStageDeadline.passedInQueue());
                        } else {
                            request.timeOut();
                        }
                    }
                },
                expiry,
                TimeUnit.NANOSECONDS);
        request.whenDone((result, error) -> timer.cancel(false));
        return request;
    }

    /**
     * The caller has gone: the request's samples leave the queues now and no further stage runs for it
     * (a stage running now finishes). False if the request had already ended.
     */
    public boolean cancel(PendingRequest request) {
        work.withdraw(request);
        return request.cancel();
    }

    /**
     * Whether a request submitted now by a caller that may compute would run at once on its thread
     * (nothing queued, a worker's share of compute free, lone requests run inline).
     */
    public boolean runsInlineNow() {
        return settings.inlineWhenIdle() && work.idle() && runners.availablePermits() > 0;
    }

    /** Workers waiting for work now. */
    int idleWorkers() {
        return work.idleWorkers();
    }

    /** Samples waiting in each stage's queue now. */
    public int[] queueLengths() {
        return work.lengths();
    }

    /** How long a request arriving now would wait: the queued samples' next stages, over the workers. */
    public double estimatedWaitNanos() {
        return work.estimatedWaitNanos();
    }

    private void work() {
        StageBuffers buffers = StageBuffers.kept();
        while (true) {
            try {
                work.awaitWork();
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
                if (work.closed()) {
                    return;
                }
                WorkQueue.Taken taken = work.take();
                if (taken != null) {
                    run(taken, buffers);
                }
            } catch (IllegalStateException closed) {
                return;
            } finally {
                permits.release();
                runners.release();
            }
        }
    }

    private void run(WorkQueue.Taken taken, StageBuffers buffers) {
        step.answerCut(taken.cut());
        if (taken.samples().isEmpty()) {
            return;
        }
        try {
            List<QueuedSample> survivors = step.run(taken.stage(), taken.samples(), taken.id(), taken.now(), buffers);
            List<QueuedSample> now = new ArrayList<>(survivors.size());
            for (QueuedSample s : survivors) {
                long pause = s.request.pauseNanos();
                if (pause > 0) { // its caller has time to stop it after this answer before it costs more
                    timeouts.schedule(
                            () -> {
                                work.enqueue(taken.stage() + 1, List.of(s));
                                work.wake(); // no worker is about to take it: the timer put it there
                            },
                            pause,
                            TimeUnit.NANOSECONDS);
                } else {
                    now.add(s);
                }
            }
            if (!now.isEmpty()) {
                work.enqueue(taken.stage() + 1, now);
            }
        } catch (Throwable t) { // a failed run fails its requests, never the worker
            taken.samples().forEach(s -> s.request.fail(t));
        }
    }

    /**
     * Stops the workers once they finish the batches they hold; requests still queued are refused
     * (a server drains its requests before it closes its models, so normally none are).
     */
    @Override
    public void close() {
        List<QueuedSample> left = work.close();
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
