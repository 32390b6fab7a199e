package io.lctserve.server.model;

import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.ExitAnalysis;
import io.lctserve.core.exit.Probabilities;
import io.lctserve.runtime.SampleResult;
import java.util.List;

/**
 * The last {@code size} samples of one model version's live traffic that ran every head (shadow
 * verification's re-runs, and {@code max_disagreement} answers that explored): every head's
 * probabilities per sample, what recalibration searches a preset's setting on. The last head's
 * answer stands in for the label, so an outcome's loss is its share of answers that differ from
 * the full model's.
 */
public final class LiveSamples {

    private final int heads;
    private final int classes;
    private final float[][] probabilities; // [slot][head * classes + class]
    private int next;
    private int filled;
    private long added;

    LiveSamples(int heads, int classes, int size) {
        this.heads = heads;
        this.classes = classes;
        this.probabilities = new float[size][];
    }

    /** Keeps one sample's heads (all of them, in stage order); a sample with fewer is not a traffic sample. */
    public synchronized void add(List<SampleResult.HeadProbabilities> sampleHeads) {
        if (sampleHeads.size() != heads) {
            return;
        }
        float[] row = probabilities[next] != null ? probabilities[next] : new float[heads * classes];
        for (int k = 0; k < heads; k++) {
            System.arraycopy(sampleHeads.get(k).probabilities(), 0, row, k * classes, classes);
        }
        probabilities[next] = row;
        next = (next + 1) % probabilities.length;
        filled = Math.min(filled + 1, probabilities.length);
        added++;
    }

    /** Samples kept now (at most the window). */
    public synchronized int size() {
        return filled;
    }

    /** Samples ever kept. */
    public synchronized long added() {
        return added;
    }

    /**
     * The newest {@code newest} kept samples (all of them, if fewer) as an analysis, each sample's
     * reference being its last head's answer.
     */
    public ExitAnalysis analysis(ComputeCost cost, long newest) {
        float[][] byHead;
        int[] reference;
        synchronized (this) {
            int n = (int) Math.min(newest, filled);
            byHead = new float[heads][n * classes];
            reference = new int[n];
            for (int i = 0; i < n; i++) {
                float[] row = probabilities[(next - 1 - i + 2 * probabilities.length) % probabilities.length];
                for (int k = 0; k < heads; k++) {
                    System.arraycopy(row, k * classes, byHead[k], i * classes, classes);
                }
                reference[i] = Probabilities.argMax(row, (heads - 1) * classes, classes);
            }
        }
        return ExitAnalysis.ofProbabilities(byHead, reference, cost);
    }
}
