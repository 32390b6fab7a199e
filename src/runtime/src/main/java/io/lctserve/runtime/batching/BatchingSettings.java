package io.lctserve.runtime.batching;

import java.time.Duration;
import java.util.Arrays;

/**
 * How a model's scheduler forms batches (Triton's dynamic batcher names where they fit).
 *
 * @param maxBatchSize most samples one stage run takes
 * @param maxQueueDelay how long a queue shorter than a full (or preferred) batch may wait for more
 *     samples; zero: run what is there at once, so an idle server never waits
 * @param preferredBatchSizes batch sizes to cut a longer queue into, when given (empty: up to the max)
 * @param workers threads running stages for this model (one ONNX Runtime run each at a time)
 * @param queueTimeout how long a request may wait before its first sample runs; a request whose
 *     estimated wait is longer is refused at once
 * @param inlineWhenIdle a request that finds nothing queued and a worker's share of compute free runs
 *     at once on its caller's thread instead of being handed to a worker (and back)
 */
public record BatchingSettings(
        int maxBatchSize,
        Duration maxQueueDelay,
        int[] preferredBatchSizes,
        int workers,
        Duration queueTimeout,
        boolean inlineWhenIdle) {

    public BatchingSettings {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("max batch size must be >= 1, was " + maxBatchSize);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, was " + workers);
        }
        if (maxQueueDelay.isNegative() || queueTimeout.isNegative()) {
            throw new IllegalArgumentException("queue delay and queue timeout cannot be negative");
        }
        preferredBatchSizes = preferredBatchSizes.clone();
        Arrays.sort(preferredBatchSizes);
        for (int size : preferredBatchSizes) {
            if (size < 1 || size > maxBatchSize) {
                throw new IllegalArgumentException(
                        "preferred batch size " + size + " is outside 1.." + maxBatchSize + " (the max batch size)");
            }
        }
    }

    /** How many of {@code queued} samples to take for one run. */
    int batchOf(int queued) {
        int n = Math.min(queued, maxBatchSize);
        for (int i = preferredBatchSizes.length - 1; i >= 0; i--) {
            if (preferredBatchSizes[i] <= n) {
                return preferredBatchSizes[i];
            }
        }
        return n;
    }

    /** The size at which a queue runs without waiting out the queue delay. */
    int fullBatch() {
        return preferredBatchSizes.length > 0 ? preferredBatchSizes[0] : maxBatchSize;
    }
}
