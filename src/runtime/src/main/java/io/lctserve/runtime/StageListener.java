package io.lctserve.runtime;

/**
 * Hears what the stages did: the server records it as metrics. Called on the thread that runs the
 * batch, so it must be quick.
 */
public interface StageListener {

    /** A listener that hears nothing. */
    StageListener NONE = new StageListener() {
        @Override
        public void stageRan(int stage, int samples, long nanos) {}

        @Override
        public void answered(int stage, long macs) {}
    };

    /** Stage {@code stage}, with the heads the mode needed there, ran on {@code samples} samples. */
    void stageRan(int stage, int samples, long nanos);

    /** One sample was answered at {@code stage}, having cost {@code macs} multiply-accumulates. */
    void answered(int stage, long macs);

    /** The sample just answered at {@code stage} was cut short by its deadline (a degraded answer). */
    default void degraded(int stage) {}

    /** Batching: one sample waited {@code nanos} in stage {@code stage}'s queue before it ran. */
    default void queued(int stage, long nanos) {}

    /** Batching: the batch that just ran stage {@code stage} carried samples of {@code requests} requests. */
    default void merged(int stage, int requests) {}
}
