package io.lctserve.runtime;

import io.lctserve.core.exit.HeadOutput;
import io.lctserve.core.exit.Mode;
import io.lctserve.core.exit.Probabilities;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one sample has seen on its way through the stages, and the answer it gives when it stops:
 * the last head's probabilities, the ensemble's average, or (cut by a deadline in early exit) its
 * most confident head so far. Both ways of walking the stages, one batch at a time and the
 * batching scheduler, answer through this class, so they answer alike.
 */
public final class SampleTrace {

    private final List<SampleResult.HeadProbabilities> heads;
    private HeadOutput last;
    private float[] lastProbabilities;
    private float[] mostConfident;
    private float highestConfidence = -1;
    private float[] sum;
    private int seen;

    public SampleTrace(boolean keepHeads) {
        heads = keepHeads ? new ArrayList<>() : List.of();
    }

    /** Head {@code stage} said {@code p[offset .. offset + classes)} (probabilities) about this sample. */
    public void observe(int stage, float[] p, int offset, int classes) {
        float[] mine = Arrays.copyOfRange(p, offset, offset + classes);
        HeadOutput output = HeadOutput.of(mine, 0, classes, last);
        if (output.confidence() > highestConfidence) {
            highestConfidence = output.confidence();
            mostConfident = mine;
        }
        if (sum == null) {
            sum = new float[classes];
        }
        for (int c = 0; c < classes; c++) {
            sum[c] += mine[c];
        }
        seen++;
        last = output;
        lastProbabilities = mine;
        if (heads instanceof ArrayList<SampleResult.HeadProbabilities> kept) {
            kept.add(new SampleResult.HeadProbabilities(stage, mine));
        }
    }

    /** Whether a head has been read for this sample yet. */
    public boolean hasAnswer() {
        return seen > 0;
    }

    /** Whether the plan's exit rule lets the last head read answer, at stage {@code stage}. */
    public boolean exitsByRule(ExitPlan plan, int stage) {
        return plan.mode() == Mode.EARLY_EXIT && plan.rule().exits(stage, last);
    }

    /**
     * The answer at {@code stage}.
     *
     * @param deadlineCut a deadline stopped the sample before its mode or rule would have
     * @param macs what the sample cost
     */
    public SampleResult answer(Mode mode, int stage, boolean deadlineCut, long macs) {
        float[] p;
        if (mode == Mode.ENSEMBLE) {
            p = sum.clone();
            for (int c = 0; c < p.length; c++) {
                p[c] /= seen;
            }
        } else if (deadlineCut && mode == Mode.EARLY_EXIT) {
            p = mostConfident;
        } else {
            p = lastProbabilities;
        }
        int cls = Probabilities.argMax(p, 0, p.length);
        return new SampleResult(p, cls, p[cls], stage, deadlineCut, macs, heads);
    }
}
