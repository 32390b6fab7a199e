package io.lctserve.server.inference;

/**
 * How {@link InferenceService} answers a call, on whichever thread finishes it; the transport writes
 * the answer. Exactly one of {@link #answer} and {@link #fail} is called, once, unless the caller
 * cancelled the call first; a progressive responder hears {@link #progress} before it, once per head
 * consulted.
 */
public interface Responder {

    /** Whether this caller wants provisional answers as heads are read (a stream). */
    default boolean progressive() {
        return false;
    }

    /**
     * How long a progressive call waits after each provisional answer before its next stage, so that
     * a caller who stops after that answer costs no more compute (0: it goes on at once).
     */
    default long pauseNanos() {
        return 0;
    }

    /** A provisional answer: what the call would get if it stopped now. */
    default void progress(InferenceResult soFar) {}

    void answer(InferenceResult result);

    void fail(InferenceException error);
}
