package io.lctserve.server.inference;

/**
 * How {@link InferenceService} answers a call, on whichever thread finishes it; the transport writes
 * the answer. Exactly one of {@link #answer} and {@link #fail} is called, once; a progressive
 * responder hears {@link #progress} before it, once per head consulted.
 */
public interface Responder {

    /** Whether this caller wants provisional answers as heads are read (a stream). */
    default boolean progressive() {
        return false;
    }

    /** A provisional answer: what the call would get if it stopped now. */
    default void progress(InferenceResult soFar) {}

    void answer(InferenceResult result);

    void fail(InferenceException error);
}
