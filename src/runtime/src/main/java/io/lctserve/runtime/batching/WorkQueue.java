package io.lctserve.runtime.batching;

import io.lctserve.runtime.StageLatency;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link StageQueues} of one {@link BatchScheduler} under one lock, and the workers' waiting on
 * them: what arrives (a new request, a stage's survivors), what leaves (a batch a worker takes, the
 * samples a deadline cuts, a request withdrawn), and who is woken. Every invariant between the
 * queues, the count of queued samples and the idle workers holds within this class.
 */
final class WorkQueue {

    private final StageQueues queues; // guarded by lock
    private final BatchingSettings settings;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workArrived = lock.newCondition();
    /** Samples in all queues; written with the lock held, read without it. */
    private volatile int queued;

    private volatile boolean closed;
    // Guarded by lock:
    private long nextSeq;
    private long nextBatch;
    private int idleWorkers; // waiting in awaitWork

    WorkQueue(int stages, BatchingSettings settings, StageLatency latency) {
        this.queues = new StageQueues(stages, settings, latency);
        this.settings = settings;
    }

    /** A batch a worker took: stage k for these samples, and the answers the deadline sweep cut. */
    record Taken(int stage, List<QueuedSample> samples, List<QueuedSample> cut, long id, long now) {}

    /** Whether nothing is queued and the queues take work (read without the lock). */
    boolean idle() {
        return queued == 0 && !closed;
    }

    /**
     * Queues a request's samples for stage 0.
     *
     * @param rowShape one sample's shape (without the batch dimension)
     * @throws RejectedExecutionException when the queued work would keep it from starting within the
     *     queue timeout, or the queues are closed
     */
    void admit(PendingRequest request, float[] pixels, int batch, long[] rowShape) {
        int perSample = pixels.length / batch;
        long timeout = settings.queueTimeout().toNanos();
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
    }

    /**
     * A lone request's first stage run, for its caller to run: null (nothing queued) when other work
     * is queued or the queues closed, so that the request waits its turn instead.
     */
    Taken takeAlone(PendingRequest request, float[] pixels, int batch, long[] rowShape) {
        int perSample = pixels.length / batch;
        lock.lock();
        try {
            if (closed || queues.total() > 0 || batch > settings.maxBatchSize()) {
                return null;
            }
            long now = System.nanoTime();
            List<QueuedSample> samples = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                float[] sample = Arrays.copyOfRange(pixels, i * perSample, (i + 1) * perSample);
                samples.add(new QueuedSample(request, i, sample, rowShape, nextSeq++, now));
            }
            request.markStarted(now);
            return new Taken(0, samples, List.of(), nextBatch++, now);
        } finally {
            lock.unlock();
        }
    }

    /** Puts a stage's survivors in the next stage's queue; fails them if the queues closed meanwhile. */
    void enqueue(int stage, List<QueuedSample> survivors) {
        lock.lock();
        try {
            if (closed) {
                RejectedExecutionException gone = new RejectedExecutionException("the model is being unloaded");
                survivors.forEach(s -> s.request.fail(gone));
                return;
            }
            long now = System.nanoTime();
            for (QueuedSample s : survivors) {
                if (s.request.isDone()) {
                    continue; // cancelled while it ran, or while it paused
                }
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

    /** Wakes a waiting worker for what was queued by a thread that is not a worker (so will not take it). */
    void wake() {
        lock.lock();
        try {
            if (queued > 0) {
                workArrived.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the request's samples out of the queues if none has started; whether it did. A timeout
     * must not take a started request's survivors: nothing would answer them.
     */
    boolean withdrawUnstarted(PendingRequest request) {
        lock.lock();
        try {
            if (request.started()) {
                return false; // its samples are on their way: the request ends when they are answered
            }
            queues.withdraw(request);
            queued = queues.total();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Takes the request's samples out of the queues: its caller has gone. */
    void withdraw(PendingRequest request) {
        lock.lock();
        try {
            queues.withdraw(request);
            queued = queues.total();
        } finally {
            lock.unlock();
        }
    }

    /** Returns when a queue is ready to run or a deadline may need a cut, or the queues closed. */
    void awaitWork() throws InterruptedException {
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

    /**
     * The next batch to run and the answers the deadline sweep cut; null if another worker took the
     * work first. A worker that takes a queue while others idle takes only its share and wakes one.
     *
     * @throws IllegalStateException when the queues closed
     */
    Taken take() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            long now = System.nanoTime();
            List<QueuedSample> cut = queues.sweepDeadlines(now);
            int chosen = queues.choose(now);
            List<QueuedSample> samples = chosen < 0 ? List.of() : queues.poll(chosen, idleWorkers);
            if (chosen == 0) {
                samples.forEach(s -> s.request.markStarted(now)); // with the lock held: a timeout sees it
            }
            queued = queues.total();
            if (queued > 0 && idleWorkers > 0) {
                workArrived.signal(); // an idle worker takes its share of what is left
            }
            return chosen < 0 && cut.isEmpty() ? null : new Taken(chosen, samples, cut, nextBatch++, now);
        } finally {
            lock.unlock();
        }
    }

    boolean closed() {
        return closed;
    }

    /** Takes no more work and wakes every worker; returns the samples still queued. */
    List<QueuedSample> close() {
        lock.lock();
        try {
            closed = true;
            List<QueuedSample> left = new ArrayList<>(queues.drain());
            queued = 0;
            workArrived.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }

    int idleWorkers() {
        lock.lock();
        try {
            return idleWorkers;
        } finally {
            lock.unlock();
        }
    }

    int[] lengths() {
        lock.lock();
        try {
            return queues.lengths();
        } finally {
            lock.unlock();
        }
    }

    /** How long a new request of this priority and deadline would wait for its first stage; see {@link StageQueues#waitAheadNanos}. */
    double waitAheadNanos(int priority, long deadlineNanos) {
        lock.lock();
        try {
            return queues.waitAheadNanos(priority, deadlineNanos);
        } finally {
            lock.unlock();
        }
    }

    double estimatedWaitNanos() {
        lock.lock();
        try {
            return queues.estimatedWaitNanos();
        } finally {
            lock.unlock();
        }
    }
}
