package io.lctserve.core.exit;

import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Stage;

/**
 * The compute an answer costs: the multiply-accumulates of every graph actually run for it.
 * An answer at stage k ran stages 0..k; early exit and the ensemble also ran heads 0..k (early
 * exit reads every head to decide), full and stage modes only head k. The full model, every
 * stage and the last head, is the yardstick of every fraction. Responses, metrics, calibrated
 * presets, reports and docs all take their cost from here.
 */
public final class ComputeCost {

    private final long[] stagesThrough;
    private final long[] headsThrough;
    private final long[] head;

    private ComputeCost(long[] stageMacs, long[] headMacs) {
        int n = stageMacs.length;
        stagesThrough = new long[n];
        headsThrough = new long[n];
        head = headMacs.clone();
        for (int k = 0; k < n; k++) {
            stagesThrough[k] = stageMacs[k] + (k > 0 ? stagesThrough[k - 1] : 0);
            headsThrough[k] = headMacs[k] + (k > 0 ? headsThrough[k - 1] : 0);
        }
    }

    public static ComputeCost of(Manifest manifest) {
        int n = manifest.exitCount();
        long[] stages = new long[n];
        long[] heads = new long[n];
        for (int k = 0; k < n; k++) {
            Stage s = manifest.stages().get(k);
            stages[k] = s.macs();
            heads[k] = s.head().macs();
        }
        return new ComputeCost(stages, heads);
    }

    /** Per-stage and per-head MACs, in stage order (for models that exist only in memory). */
    public static ComputeCost of(long[] stageMacs, long[] headMacs) {
        if (stageMacs.length == 0 || stageMacs.length != headMacs.length) {
            throw new IllegalArgumentException(
                    "need one head per stage, got " + stageMacs.length + " stages and " + headMacs.length + " heads");
        }
        return new ComputeCost(stageMacs, headMacs);
    }

    public int exits() {
        return head.length;
    }

    /** MACs per sample of an answer at {@code exitStage} in {@code mode}. */
    public long macs(Mode mode, int exitStage) {
        return stagesThrough[exitStage] + (mode.consultsEveryHead() ? headsThrough[exitStage] : head[exitStage]);
    }

    /** MACs per sample of the full model: every stage and the last head. */
    public long fullModel() {
        return macs(Mode.FULL, head.length - 1);
    }

    /** {@link #macs} as a fraction of the full model's MACs (above 1 when every head ran). */
    public double fraction(Mode mode, int exitStage) {
        return macs(mode, exitStage) / (double) fullModel();
    }

    /** Sub-model k, stages 0..k and head k, as a standalone model: what mode stage costs. */
    public long submodel(int k) {
        return macs(Mode.STAGE, k);
    }
}
