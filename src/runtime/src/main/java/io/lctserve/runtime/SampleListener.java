package io.lctserve.runtime;

/**
 * Hears one request's samples as their answers form, and says whether the request is still wanted.
 * A progressive caller (a stream) hears every head read; every caller may cancel. Called on the
 * thread that runs the stage, so it must be quick.
 */
public interface SampleListener {

    /** A caller that wants only the final answer and never cancels. */
    SampleListener NONE = new SampleListener() {};

    /** Whether this caller hears {@link #progressed}: the walks build provisional answers only for those that do. */
    default boolean progressive() {
        return false;
    }

    /**
     * Sample {@code sample} read a head and goes on to the next stage; {@code soFar} is what it would
     * answer if it stopped now (its exit stage is that head's stage).
     */
    default void progressed(int sample, SampleResult soFar) {}

    /** Sample {@code sample} has its final answer. */
    default void answered(int sample, SampleResult answer) {}

    /** Whether the caller has gone: no further stage runs for any of its samples. */
    default boolean cancelled() {
        return false;
    }

    /**
     * How long a sample waits after a progressive answer before its next stage, so that a caller who
     * stops after that answer costs no more compute; 0: it goes on at once.
     */
    default long pauseNanos() {
        return 0;
    }

    /**
     * Whether this request's answers count in the model's answer metrics (exits, compute saved);
     * work the server gives itself, such as verifying earlier answers, does not. Its stage runs do.
     */
    default boolean countsAnswers() {
        return true;
    }

    /** Waits up to {@code nanos} for the caller to go; whether it has gone. */
    default boolean cancelledWithin(long nanos) throws InterruptedException {
        return cancelled();
    }
}
