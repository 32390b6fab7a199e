package io.lctserve.runtime.batching;

import ai.onnxruntime.OrtException;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.SampleListener;
import io.lctserve.runtime.SampleResult;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * A request handed to a {@link BatchScheduler}: its samples travel the stages on their own, mixed
 * into batches with other requests' samples, and its answer is assembled when the last is answered.
 * It ends once: answered, failed, timed out before it started, or cancelled by its caller; the
 * samples of an ended request are dropped from the queues instead of run.
 */
public final class PendingRequest {

    private final ExitPlan plan;
    private final int priority;
    private final long orderDeadline;
    private final long submittedNanos;
    private final SampleResult[] results;
    private final long macsFull;
    private final double[] stageMillis;
    private final long[] lastBatch;
    private final SampleListener listener;
    private final CompletableFuture<BatchResult> done = new CompletableFuture<>();
    private int remaining;
    private long startedNanos = -1;

    PendingRequest(Job job, int stages, long macsFull, long queueTimeoutNanos) {
        this.plan = job.plan();
        this.priority = job.priority();
        this.listener = job.listener();
        this.submittedNanos = System.nanoTime();
        // Earliest deadline first; a request without one must at least start within the queue timeout.
        this.orderDeadline = plan.hasDeadline() ? plan.deadlineNanos() : submittedNanos + queueTimeoutNanos;
        int samples = job.batch();
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

    /** Whether its answers count in the model's answer metrics ({@link SampleListener#countsAnswers}). */
    boolean countsAnswers() {
        return listener.countsAnswers();
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

    /** How long its samples wait after a progressive answer before their next stage (0: not at all). */
    long pauseNanos() {
        return listener.progressive() && plan.mode().consultsEveryHead() ? listener.pauseNanos() : 0;
    }

    /** Waits for the answer (the scheduler ends a request that did not start within the queue timeout). */
    public BatchResult await() throws OrtException, InterruptedException, TimeoutException {
        try {
            return done.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof OrtException ort) {
                throw ort;
            }
            if (cause instanceof TimeoutException timeout) {
                throw timeout;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(cause);
        }
    }

    /**
     * Calls {@code then} once with the answer or the failure ({@link TimeoutException} when no sample
     * started within the queue timeout, {@link CancellationException} after {@link BatchScheduler#cancel}), on the
     * thread that ends the request (a batching worker, or this thread if it has ended), without blocking.
     */
    public void whenDone(BiConsumer<BatchResult, Throwable> then) {
        done.whenComplete(then);
    }

    /** Ends the request for a caller that has gone; false if it had ended. */
    boolean cancel() {
        return done.completeExceptionally(new CancellationException("the caller went away"));
    }

    /** How long the request waited before its first sample ran (so far, if none has). */
    public synchronized long queueNanos() {
        return (startedNanos < 0 ? System.nanoTime() : startedNanos) - submittedNanos;
    }

    void timeOut() {
        done.completeExceptionally(new TimeoutException("no sample started within the queue timeout"));
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

    /** Sample {@code index} read a head and goes on; {@code soFar} is built only for a progressive caller. */
    void progressed(int index, Supplier<SampleResult> soFar) {
        if (listener.progressive() && !done.isDone()) {
            listener.progressed(index, soFar.get());
        }
    }

    void answer(int index, SampleResult result) {
        if (done.isDone()) {
            return; // cancelled or timed out while the stage ran
        }
        listener.answered(index, result);
        boolean last;
        synchronized (this) {
            results[index] = result;
            last = --remaining == 0;
        }
        if (last) {
            done.complete(new BatchResult(Arrays.asList(results), stageMillis.clone(), macsFull));
        }
    }

    /** How the one-batch walk hears about this request when it runs it alone: as its caller, and ended if cancelled. */
    SampleListener alone() {
        return new SampleListener() {
            @Override
            public boolean progressive() {
                return listener.progressive();
            }

            @Override
            public void progressed(int sample, SampleResult soFar) {
                listener.progressed(sample, soFar);
            }

            @Override
            public void answered(int sample, SampleResult answer) {
                listener.answered(sample, answer);
            }

            @Override
            public boolean cancelled() {
                return done.isDone() || listener.cancelled(); // no handle to cancel with before submit returns
            }

            @Override
            public long pauseNanos() {
                return listener.pauseNanos();
            }

            @Override
            public boolean cancelledWithin(long nanos) throws InterruptedException {
                return done.isDone() || listener.cancelledWithin(nanos);
            }
        };
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
