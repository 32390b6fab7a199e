package io.lctserve.runtime.batching;

/**
 * What a worker holds while it runs a stage: the server's bound on how much computes at once, shared
 * by every model and by requests that compute alone.
 */
public interface ComputePermits {

    /** No bound beyond the workers themselves. */
    ComputePermits NONE = new ComputePermits() {
        @Override
        public void acquire() {}

        @Override
        public boolean tryAcquire() {
            return true;
        }

        @Override
        public void release() {}
    };

    void acquire() throws InterruptedException;

    /** Takes a permit only if one is free now. */
    boolean tryAcquire();

    void release();
}
