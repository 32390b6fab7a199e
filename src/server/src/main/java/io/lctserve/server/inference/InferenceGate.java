package io.lctserve.server.inference;

import io.lctserve.runtime.batching.ComputePermits;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.metrics.InferenceMetrics;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Bounds how much computes at once (more would only fight over the cores): requests that compute
 * alone take a slot for the whole request, batching workers one per stage run. Requests wait in
 * arrival order, and that wait is the {@code lctserve.queue} timer.
 */
@Component
public class InferenceGate {

    private static final Logger log = LoggerFactory.getLogger(InferenceGate.class);

    private final Semaphore slots;
    private final long timeoutNanos;

    public InferenceGate(LctServeProperties properties) {
        this.slots = new Semaphore(properties.computeSlots(), true);
        log.info("{} requests may compute at once (lctserve.max-concurrent-inferences)", properties.computeSlots());
        this.timeoutNanos = properties.queueTimeout().toNanos();
    }

    /** Runs {@code work} once a slot is free; throws {@link ServerBusyException} if none frees in time. */
    public <T, E extends Exception> T run(InferenceMetrics.ModelMeters meters, Work<T, E> work)
            throws E, InterruptedException {
        long started = System.nanoTime();
        if (!slots.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
            meters.recordQueue(System.nanoTime() - started);
            throw new ServerBusyException("no compute slot became free within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms; retry later");
        }
        meters.recordQueue(System.nanoTime() - started);
        try {
            return work.run();
        } finally {
            slots.release();
        }
    }

    /** The slots as a batching worker takes them: one per stage run, waited for as long as it takes. */
    public ComputePermits permits() {
        return new ComputePermits() {
            @Override
            public void acquire() throws InterruptedException {
                slots.acquire();
            }

            @Override
            public boolean tryAcquire() {
                return slots.tryAcquire();
            }

            @Override
            public void release() {
                slots.release();
            }
        };
    }

    /** Requests (or batching workers) waiting for a compute slot now. */
    public int waiting() {
        return slots.getQueueLength();
    }

    /** A piece of work that may throw. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }
}
