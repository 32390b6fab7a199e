package io.lctserve.server.inference;

import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.runtime.batching.PendingRequest;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A call {@link InferenceService} took: its caller may {@link #cancel} it until it is answered. */
public final class Call {

    private final Runnable onCancelled;
    private final CountDownLatch gone = new CountDownLatch(1);
    private volatile boolean cancelled;
    private volatile boolean ended;
    private BatchScheduler scheduler; // guarded by this
    private PendingRequest pending; // guarded by this

    Call(Runnable onCancelled) {
        this.onCancelled = onCancelled;
    }

    /**
     * The caller has gone (a stream cancelled, a connection closed): no further stage runs for the
     * call, and it is answered no more. Does nothing once the call has been answered.
     */
    public void cancel() {
        BatchScheduler s;
        PendingRequest p;
        synchronized (this) {
            if (cancelled || ended) {
                return;
            }
            cancelled = true;
            s = scheduler;
            p = pending;
        }
        gone.countDown(); // a walk pausing for the caller's decision ends at once
        onCancelled.run();
        if (p != null) {
            s.cancel(p);
        }
    }

    public boolean cancelled() {
        return cancelled;
    }

    /** Waits up to {@code nanos} for the caller to cancel; whether it has. */
    boolean awaitCancel(long nanos) throws InterruptedException {
        return gone.await(nanos, TimeUnit.NANOSECONDS);
    }

    /** The call's samples are in {@code scheduler}'s queues; cancels them at once if the caller has gone. */
    void queued(BatchScheduler scheduler, PendingRequest pending) {
        synchronized (this) {
            this.scheduler = scheduler;
            this.pending = pending;
            if (!cancelled) {
                return;
            }
        }
        scheduler.cancel(pending);
    }

    /** Answered (or failed): a cancel from here on changes nothing. False if it had ended already. */
    synchronized boolean end() {
        if (ended) {
            return false;
        }
        ended = true;
        return true;
    }
}
