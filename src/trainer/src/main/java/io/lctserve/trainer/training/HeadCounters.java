package io.lctserve.trainer.training;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;

/** Per-head training counts for the progress line and the history; written by any worker, read by the coordinator. */
final class HeadCounters {

    private final AtomicLongArray correct;
    private final AtomicLongArray samples;
    private final AtomicLongArray batches;
    private final DoubleAdder[] loss;

    HeadCounters(int heads) {
        correct = new AtomicLongArray(heads);
        samples = new AtomicLongArray(heads);
        batches = new AtomicLongArray(heads);
        loss = new DoubleAdder[heads];
        for (int k = 0; k < heads; k++) {
            loss[k] = new DoubleAdder();
        }
    }

    void add(int head, long rightAnswers, long batchSize, double meanLoss) {
        correct.addAndGet(head, rightAnswers);
        samples.addAndGet(head, batchSize);
        batches.incrementAndGet(head);
        loss[head].add(meanLoss);
    }

    /** Training accuracy of each head so far this epoch. */
    double[] accuracy() {
        double[] a = new double[correct.length()];
        for (int k = 0; k < a.length; k++) {
            long n = samples.get(k);
            a[k] = n == 0 ? 0 : correct.get(k) / (double) n;
        }
        return a;
    }

    /** The sum over heads of each head's mean batch loss so far this epoch. */
    double meanLoss() {
        double sum = 0;
        for (int k = 0; k < loss.length; k++) {
            long b = batches.get(k);
            sum += b == 0 ? 0 : loss[k].sum() / b;
        }
        return sum;
    }

    /** Batches the last head has finished: the pipeline's progress. */
    long finished() {
        return batches.get(batches.length() - 1);
    }

    void reset() {
        for (int k = 0; k < loss.length; k++) {
            correct.set(k, 0);
            samples.set(k, 0);
            batches.set(k, 0);
            loss[k].reset();
        }
    }
}
