package io.lctserve.trainer.evaluation;

import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.Preset;
import io.lctserve.trainer.training.HeadEvaluation;

/**
 * What every exit of a staged model does on one labelled image set: per-head accuracy, the
 * ensemble of all heads, and the accuracy and cost of early exit under each exit rule: per-head
 * max-softmax thresholds (the paper's rule), per-head entropy bounds, patience (in every rule the
 * last head answers when no earlier head did).
 */
public final class ExitAnalysis {

    private final int heads;
    private final int samples;
    private final int classes;
    private final float[][] probabilities;
    private final float[][] confidence; // [head][sample]: max softmax
    private final double[][] entropy; // [head][sample]: softmax entropy in nats
    private final boolean[][] correct; // [head][sample]
    private final int[] labels;
    private final double[] exitCostFraction;

    /**
     * @param logits {@code [head][sample * classes + class]}
     * @param exitCostFraction MACs of exiting at head k as a fraction of the full model's
     */
    public ExitAnalysis(float[][] logits, int[] labels, double[] exitCostFraction) {
        this.heads = logits.length;
        this.samples = labels.length;
        this.classes = logits[0].length / samples;
        this.labels = labels.clone();
        this.exitCostFraction = exitCostFraction.clone();
        this.probabilities = new float[heads][];
        this.confidence = new float[heads][samples];
        this.entropy = new double[heads][samples];
        this.correct = new boolean[heads][samples];
        for (int k = 0; k < heads; k++) {
            probabilities[k] = softmax(logits[k], classes);
            for (int i = 0; i < samples; i++) {
                int best = HeadEvaluation.argMax(probabilities[k], i * classes, classes);
                confidence[k][i] = probabilities[k][i * classes + best];
                entropy[k][i] = entropy(probabilities[k], i * classes, classes);
                correct[k][i] = best == labels[i];
            }
        }
    }

    /** Cost of exiting at each head, as a fraction of the full model's MACs. */
    public static double[] exitCostFractions(Manifest manifest) {
        double full = manifest.fullModelMacs();
        double[] f = new double[manifest.exitCount()];
        for (int k = 0; k < f.length; k++) {
            f[k] = manifest.macsThroughExit(k) / full;
        }
        return f;
    }

    public int heads() {
        return heads;
    }

    public int samples() {
        return samples;
    }

    public int classes() {
        return classes;
    }

    public double[] exitCostFraction() {
        return exitCostFraction.clone();
    }

    public double[] headAccuracy() {
        double[] acc = new double[heads];
        for (int k = 0; k < heads; k++) {
            int c = 0;
            for (int i = 0; i < samples; i++) {
                c += correct[k][i] ? 1 : 0;
            }
            acc[k] = c / (double) samples;
        }
        return acc;
    }

    /** Accuracy of the mean of all heads' probabilities. */
    public double ensembleAccuracy() {
        int c = 0;
        float[] mean = new float[classes];
        for (int i = 0; i < samples; i++) {
            java.util.Arrays.fill(mean, 0f);
            for (int k = 0; k < heads; k++) {
                for (int j = 0; j < classes; j++) {
                    mean[j] += probabilities[k][i * classes + j];
                }
            }
            c += HeadEvaluation.argMax(mean, 0, classes) == labels[i] ? 1 : 0;
        }
        return c / (double) samples;
    }

    /** The outcome of early exit where head k answers once its max softmax reaches thresholds[k]. */
    public Outcome earlyExit(double[] thresholds) {
        if (thresholds.length != heads) {
            throw new IllegalArgumentException("need " + heads + " thresholds, got " + thresholds.length);
        }
        return simulate(thresholds.clone(), (k, i) -> confidence[k][i] >= thresholds[k]);
    }

    /** Early exit where a head answers once the entropy of its softmax (nats) is below {@code maxEntropy}. */
    public Outcome earlyExitByEntropy(double maxEntropy) {
        double[] bounds = new double[heads];
        java.util.Arrays.fill(bounds, maxEntropy);
        return earlyExitByEntropy(bounds);
    }

    /** Early exit where head k answers once the entropy of its softmax (nats) is below {@code maxEntropy[k]}. */
    public Outcome earlyExitByEntropy(double[] maxEntropy) {
        if (maxEntropy.length != heads) {
            throw new IllegalArgumentException("need " + heads + " entropy bounds, got " + maxEntropy.length);
        }
        double[] bounds = maxEntropy.clone();
        return simulate(bounds, (k, i) -> entropy[k][i] < bounds[k]);
    }

    /** Early exit once {@code heads} consecutive heads agree on the class (PABEE's patience rule). */
    public Outcome earlyExitByPatience(int heads) {
        return simulate(new double[] {heads}, (k, i) -> agreeing(k, i) >= heads);
    }

    /** What a manifest preset does on these images, under its own rule. */
    public Outcome outcome(Preset preset) {
        return switch (preset.ruleOrDefault()) {
            case Preset.ENTROPY -> earlyExitByEntropy(values(preset.thresholds()));
            case Preset.PATIENCE -> earlyExitByPatience(preset.patience());
            default -> earlyExit(values(preset.thresholds()));
        };
    }

    private static double[] values(java.util.List<Double> list) {
        return list.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double entropy(float[] probabilities, int offset, int classes) {
        double h = 0;
        for (int c = 0; c < classes; c++) {
            double p = probabilities[offset + c];
            if (p > 0) {
                h -= p * Math.log(p);
            }
        }
        return h;
    }

    /** Consecutive heads ending at k that predict the same class as head k. */
    private int agreeing(int k, int i) {
        int cls = HeadEvaluation.argMax(probabilities[k], i * classes, classes);
        int n = 1;
        while (k - n >= 0 && HeadEvaluation.argMax(probabilities[k - n], i * classes, classes) == cls) {
            n++;
        }
        return n;
    }

    private interface Rule {
        boolean exits(int head, int sample);
    }

    private Outcome simulate(double[] setting, Rule rule) {
        int[] exits = new int[heads];
        int right = 0;
        double cost = 0;
        for (int i = 0; i < samples; i++) {
            int k = 0;
            while (k < heads - 1 && !rule.exits(k, i)) {
                k++;
            }
            exits[k]++;
            right += correct[k][i] ? 1 : 0;
            cost += exitCostFraction[k];
        }
        return new Outcome(setting, right / (double) samples, cost / samples, exits);
    }

    /** Early exit with one max-softmax threshold for every head (the last head always answers). */
    public Outcome earlyExit(double sharedThreshold) {
        double[] t = new double[heads];
        java.util.Arrays.fill(t, sharedThreshold);
        return earlyExit(t);
    }

    /**
     * One point of the accuracy/cost trade-off.
     *
     * @param thresholds per-head thresholds
     * @param accuracy fraction of samples answered correctly
     * @param meanMacsFraction mean cost per sample as a fraction of the full model's MACs
     * @param exitCounts samples answered by each head
     */
    public record Outcome(double[] thresholds, double accuracy, double meanMacsFraction, int[] exitCounts) {

        /** Mean 0-based exit stage. */
        public double meanExitStage() {
            long sum = 0;
            long n = 0;
            for (int k = 0; k < exitCounts.length; k++) {
                sum += (long) k * exitCounts[k];
                n += exitCounts[k];
            }
            return n == 0 ? 0 : sum / (double) n;
        }
    }

    static float[] softmax(float[] logits, int classes) {
        float[] p = new float[logits.length];
        for (int off = 0; off < logits.length; off += classes) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, logits[off + j]);
            }
            double sum = 0;
            for (int j = 0; j < classes; j++) {
                p[off + j] = (float) Math.exp(logits[off + j] - max);
                sum += p[off + j];
            }
            for (int j = 0; j < classes; j++) {
                p[off + j] /= (float) sum;
            }
        }
        return p;
    }
}
