package io.lctserve.server.inference;

import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.SampleListener;
import io.lctserve.runtime.SampleResult;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Turns a request's samples' answers, as they form, into provisional answers for the whole request:
 * one each time every sample still running has read a deeper head (for one sample: one per head it
 * reads before its last). Each holds every sample's latest answer, provisional or final. The final
 * answer is not one of them: it comes from the request's completion, exactly as a unary call gets it.
 */
final class ProgressiveAnswers implements SampleListener {

    private final Call call;
    private final Consumer<BatchResult> emit;
    private final SampleResult[] latest;
    private final int[] reached; // the deepest head each sample has read; -1 before any
    private final boolean[] done;
    private final int stages;
    private final long macsFull;
    private final long pauseNanos;
    private int emitted = -1; // the stage of the last provisional answer

    /** @param pauseNanos how long a sample waits after an answer before its next stage (time to cancel) */
    ProgressiveAnswers(Call call, int samples, int stages, long macsFull, long pauseNanos, Consumer<BatchResult> emit) {
        this.call = call;
        this.pauseNanos = pauseNanos;
        this.emit = emit;
        this.latest = new SampleResult[samples];
        this.reached = new int[samples];
        this.done = new boolean[samples];
        this.stages = stages;
        this.macsFull = macsFull;
        Arrays.fill(reached, -1);
    }

    @Override
    public boolean progressive() {
        return true;
    }

    @Override
    public boolean cancelled() {
        return call.cancelled();
    }

    @Override
    public long pauseNanos() {
        return pauseNanos;
    }

    @Override
    public boolean cancelledWithin(long nanos) throws InterruptedException {
        return call.awaitCancel(nanos);
    }

    // Emitted with the lock held: in order, and before the final answer (which the last sample's
    // answered() precedes).
    @Override
    public synchronized void progressed(int sample, SampleResult soFar) {
        latest[sample] = soFar;
        reached[sample] = soFar.exitStage();
        emitIfDeeper();
    }

    @Override
    public synchronized void answered(int sample, SampleResult answer) {
        latest[sample] = answer;
        done[sample] = true;
        emitIfDeeper();
    }

    /** A new provisional answer when the shallowest sample still running has read a deeper head. */
    private void emitIfDeeper() {
        int shallowest = Integer.MAX_VALUE;
        for (int i = 0; i < latest.length; i++) {
            if (!done[i]) {
                shallowest = Math.min(shallowest, reached[i]);
            }
        }
        if (shallowest == Integer.MAX_VALUE || shallowest <= emitted) {
            return; // all answered (the final answer follows), or nothing deeper yet
        }
        emitted = shallowest;
        emit.accept(new BatchResult(Arrays.asList(latest.clone()), new double[stages], macsFull));
    }
}
