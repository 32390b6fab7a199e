package io.lctserve.runtime.batching;

import io.lctserve.runtime.SampleTrace;

/** One sample between stages: the input of its next stage, and what its heads said so far. */
final class QueuedSample {

    final PendingRequest request;
    final int index;
    final SampleTrace trace;
    final long seq;
    /** The next stage's input for this sample alone, and its shape without the batch dimension. */
    float[] features;

    long[] rowShape;
    /** The stage it waits for. */
    int stage;

    long enqueuedNanos;

    QueuedSample(PendingRequest request, int index, float[] features, long[] rowShape, long seq, long now) {
        this.request = request;
        this.index = index;
        this.trace = new SampleTrace(request.plan().keepHeads());
        this.features = features;
        this.rowShape = rowShape;
        this.seq = seq;
        this.enqueuedNanos = now;
    }
}
