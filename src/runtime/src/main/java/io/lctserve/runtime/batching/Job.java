package io.lctserve.runtime.batching;

import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.SampleListener;

/**
 * One request for a {@link BatchScheduler}.
 *
 * @param pixels {@code batch * C * H * W} values in [0, 1], row-major
 * @param shape {@code [batch, C, H, W]}, the model's input shape
 * @param plan how its samples walk the stages
 * @param priority lower runs first
 * @param listener hears its samples' answers as they form, and says when its caller has gone
 */
public record Job(float[] pixels, long[] shape, ExitPlan plan, int priority, SampleListener listener) {

    /** A job whose caller waits for the whole answer. */
    public static Job of(float[] pixels, long[] shape, ExitPlan plan, int priority) {
        return new Job(pixels, shape, plan, priority, SampleListener.NONE);
    }

    int batch() {
        return (int) shape[0];
    }
}
