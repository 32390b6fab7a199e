package io.lctserve.runtime.batching;

import java.util.concurrent.RejectedExecutionException;

/**
 * A request whose deadline its first stage can no longer meet, refused before it computes: at
 * submission, when the work queued ahead of it and its first stage's measured latency would end
 * past the deadline; or in the queue, at the last moment its first stage could still have started in
 * time. An answer after the deadline is worth less to its caller than a refusal at once, which it can
 * retry elsewhere.
 */
public final class DeadlineRefusal extends RejectedExecutionException {

    public DeadlineRefusal(String message) {
        super(message);
    }

    /**
     * No stack trace: a refusal is an answer to the client, not a fault, and under overload the server
     * makes thousands a second on the thread that reads calls (filling one in cost a tenth of a refusal).
     */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
