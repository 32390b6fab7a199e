package io.lctserve.runtime.batching;

import ai.onnxruntime.OrtException;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.SampleResult;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * A request handed to a {@link BatchScheduler}: its samples travel the stages on their own, mixed
 * into batches with other requests' samples, and its answer is assembled when the last is answered.
 */
public final class PendingRequest {

    /** The queue timeouts of requests waited for without blocking ({@link #whenDone}), all models'. */
    private static final ScheduledThreadPoolExecutor TIMEOUTS = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "lctserve-queue-timeouts");
        t.setDaemon(true);
        return t;
    });

    static {
        TIMEOUTS.setRemoveOnCancelPolicy(true); // answered requests take their timeouts with them
    }

    private final BatchScheduler scheduler;
    private final ExitPlan plan;
    private final int priority;
    private final long orderDeadline;
    private final long submittedNanos;
    private final SampleResult[] results;
    private final long macsFull;
    private final double[] stageMillis;
    private final long[] lastBatch;
    private final CompletableFuture<BatchResult> done = new CompletableFuture<>();
    private int remaining;
    private long startedNanos = -1;

    PendingRequest(
            BatchScheduler scheduler,
            ExitPlan plan,
            int priority,
            int samples,
            int stages,
            long macsFull,
            long queueTimeoutNanos) {
        this.scheduler = scheduler;
        this.plan = plan;
        this.priority = priority;
        this.submittedNanos = System.nanoTime();
        // Earliest deadline first; a request without one must at least start within the queue timeout.
        this.orderDeadline = plan.hasDeadline() ? plan.deadlineNanos() : submittedNanos + queueTimeoutNanos;
        this.results = new SampleResult[samples];
        this.remaining = samples;
        this.macsFull = macsFull;
        this.stageMillis = new double[stages];
        this.lastBatch = new long[stages];
        Arrays.fill(lastBatch, -1);
    }

    public ExitPlan plan() {
        return plan;
    }

    int priority() {
        return priority;
    }

    long orderDeadline() {
        return orderDeadline;
    }

    boolean isDone() {
        return done.isDone();
    }

    /**
     * Waits for the answer. If no sample has started within {@code startTimeoutNanos}, the request
     * leaves the queue and a {@link TimeoutException} is thrown; once started, it is waited for to
     * the end (its compute is already being spent).
     */
    public BatchResult await(long startTimeoutNanos) throws OrtException, InterruptedException, TimeoutException {
        try {
            try {
                return done.get(startTimeoutNanos, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (scheduler.withdrawIfNotStarted(this)) {
                    throw e;
                }
                return done.get();
            }
        } catch (InterruptedException e) {
            scheduler.withdrawIfNotStarted(this);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof OrtException ort) {
                throw ort;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(cause);
        }
    }

    /**
     * Calls {@code then} once with the answer or the failure, on the thread that finishes the request
     * (a batching worker, or this thread if it is already done), without blocking. If no sample has
     * started within {@code startTimeoutNanos}, the request leaves the queue and fails with a
     * {@link TimeoutException}; once started, it runs to the end.
     */
    public void whenDone(long startTimeoutNanos, BiConsumer<BatchResult, Throwable> then) {
        if (!done.isDone()) {
            ScheduledFuture<?> timeout = TIMEOUTS.schedule(
                    () -> {
                        if (scheduler.withdrawIfNotStarted(this)) {
                            done.completeExceptionally(new TimeoutException("no sample started in time"));
                        }
                    },
                    startTimeoutNanos,
                    TimeUnit.NANOSECONDS);
            done.whenComplete((r, e) -> timeout.cancel(false));
        }
        done.whenComplete(then);
    }

    /** How long the request waited before its first sample ran (so far, if none has). */
    public synchronized long queueNanos() {
        return (startedNanos < 0 ? System.nanoTime() : startedNanos) - submittedNanos;
    }

    synchronized boolean started() {
        return startedNanos >= 0;
    }

    synchronized void markStarted(long now) {
        if (startedNanos < 0) {
            startedNanos = now;
        }
    }

    /** Adds a batch's time to stage k's time, once per batch however many of its samples rode in it. */
    synchronized void addStageTime(int k, long batchId, long nanos) {
        if (lastBatch[k] != batchId) {
            lastBatch[k] = batchId;
            stageMillis[k] += nanos / 1e6;
        }
    }

    void answer(int index, SampleResult result) {
        boolean last;
        synchronized (this) {
            results[index] = result;
            last = --remaining == 0;
        }
        if (last) {
            done.complete(new BatchResult(Arrays.asList(results), stageMillis.clone(), macsFull));
        }
    }

    /** Answered at once, the whole request in one run (nothing else was waiting). */
    void completeAlone(BatchResult result) {
        markStarted(submittedNanos);
        done.complete(result);
    }

    void fail(Throwable cause) {
        done.completeExceptionally(cause);
    }
}
