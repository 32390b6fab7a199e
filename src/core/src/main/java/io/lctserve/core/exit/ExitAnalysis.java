package io.lctserve.core.exit;

import java.util.Arrays;

/**
 * What every exit of a staged model does on one labelled image set: each head alone, the ensemble
 * of all heads, and the accuracy and compute of early exit under any exit rule, decided exactly
 * as the server decides (the same {@link ExitRule}) and costed as the server costs it (the same
 * {@link ComputeCost}). Each head's output is read once, so that a grid search over settings
 * only replays decisions.
 */
public final class ExitAnalysis {

    private final int heads;
    private final int samples;
    private final int classes;
    private final ComputeCost cost;
    private final float[][] probabilities; // [head][sample * classes + class]
    private final HeadOutput[][] outputs; // [head][sample]
    private final int[] labels;

    /**
     * @param logits {@code [head][sample * classes + class]}
     * @param cost what an answer at each head costs
     */
    public ExitAnalysis(float[][] logits, int[] labels, ComputeCost cost) {
        this(logits, labels, cost, true);
    }

    /**
     * The same from softmax probabilities already worked out (what the server keeps of live samples).
     *
     * @param probabilities {@code [head][sample * classes + class]}
     * @param reference what each sample counts as right: labels, or on unlabelled traffic the last head's answer
     */
    public static ExitAnalysis ofProbabilities(float[][] probabilities, int[] reference, ComputeCost cost) {
        return new ExitAnalysis(probabilities, reference, cost, false);
    }

    private ExitAnalysis(float[][] logits, int[] labels, ComputeCost cost, boolean softmax) {
        if (logits.length != cost.exits()) {
            throw new IllegalArgumentException(logits.length + " heads' logits for a model of " + cost.exits());
        }
        this.heads = logits.length;
        this.samples = labels.length;
        this.classes = logits[0].length / samples;
        this.cost = cost;
        this.labels = labels.clone();
        this.probabilities = new float[heads][];
        this.outputs = new HeadOutput[heads][samples];
        for (int k = 0; k < heads; k++) {
            probabilities[k] = logits[k].clone();
            if (softmax) {
                Probabilities.softmaxRows(probabilities[k], classes);
            }
            for (int i = 0; i < samples; i++) {
                outputs[k][i] = HeadOutput.of(probabilities[k], i * classes, classes, k > 0 ? outputs[k - 1][i] : null);
            }
        }
    }

    /**
     * Every other sample, from {@code first} (0 or 1): two halves that share no sample, for choosing a
     * setting on one and confirming it on the other.
     */
    public ExitAnalysis half(int first) {
        int n = (samples - first + 1) / 2;
        float[][] p = new float[heads][n * classes];
        int[] reference = new int[n];
        for (int i = first, j = 0; i < samples; i += 2, j++) {
            reference[j] = labels[i];
            for (int k = 0; k < heads; k++) {
                System.arraycopy(probabilities[k], i * classes, p[k], j * classes, classes);
            }
        }
        return ofProbabilities(p, reference, cost);
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

    public ComputeCost cost() {
        return cost;
    }

    public double[] headAccuracy() {
        double[] acc = new double[heads];
        for (int k = 0; k < heads; k++) {
            int right = 0;
            for (int i = 0; i < samples; i++) {
                right += outputs[k][i].predictedClass() == labels[i] ? 1 : 0;
            }
            acc[k] = right / (double) samples;
        }
        return acc;
    }

    /** Cost of each head alone (stages 0..k and head k, mode stage), as a fraction of the full model. */
    public double[] headCostFraction() {
        double[] f = new double[heads];
        for (int k = 0; k < heads; k++) {
            f[k] = cost.fraction(Mode.STAGE, k);
        }
        return f;
    }

    /** Accuracy of the mean of all heads' probabilities. */
    public double ensembleAccuracy() {
        int right = 0;
        float[] mean = new float[classes];
        for (int i = 0; i < samples; i++) {
            Arrays.fill(mean, 0f);
            for (int k = 0; k < heads; k++) {
                for (int c = 0; c < classes; c++) {
                    mean[c] += probabilities[k][i * classes + c];
                }
            }
            right += Probabilities.argMax(mean, 0, classes) == labels[i] ? 1 : 0;
        }
        return right / (double) samples;
    }

    /** Cost of the ensemble, every stage and every head, as a fraction of the full model. */
    public double ensembleCostFraction() {
        return cost.fraction(Mode.ENSEMBLE, heads - 1);
    }

    /** Early exit under {@code rule} through every stage: the first head it accepts answers, else the last. */
    public Outcome outcome(ExitRule rule) {
        int[] exits = new int[heads];
        int right = 0;
        int lost = 0;
        int gained = 0;
        int differing = 0;
        long macs = 0;
        for (int i = 0; i < samples; i++) {
            int k = 0;
            while (k < heads - 1 && !rule.exits(k, outputs[k][i])) {
                k++;
            }
            exits[k]++;
            boolean correct = outputs[k][i].predictedClass() == labels[i];
            boolean mainCorrect = outputs[heads - 1][i].predictedClass() == labels[i];
            right += correct ? 1 : 0;
            lost += mainCorrect && !correct ? 1 : 0;
            gained += !mainCorrect && correct ? 1 : 0;
            differing += outputs[k][i].predictedClass() != outputs[heads - 1][i].predictedClass() ? 1 : 0;
            macs += cost.macs(Mode.EARLY_EXIT, k);
        }
        return new Outcome(
                rule,
                right / (double) samples,
                macs / (double) samples / cost.fullModel(),
                exits,
                lost,
                gained,
                differing);
    }

    /**
     * One point of the accuracy/compute trade-off.
     *
     * @param rule the rule and setting that made it
     * @param accuracy fraction of samples answered correctly
     * @param meanMacsFraction mean MACs run per sample as a fraction of the full model's
     * @param exitCounts samples answered by each head
     * @param lost samples the main head gets right and this outcome wrong
     * @param gained samples the main head gets wrong and this outcome right
     * @param differing samples answered with another class than the main head's
     */
    public record Outcome(
            ExitRule rule,
            double accuracy,
            double meanMacsFraction,
            int[] exitCounts,
            int lost,
            int gained,
            int differing) {

        /** The share of samples answered with another class than the main head's. */
        public double disagreement() {
            return differing / (double) samples();
        }

        /** Accuracy lost against the main head on these samples (negative when early exit does better). */
        public double loss() {
            return (lost - gained) / (double) samples();
        }

        /**
         * A one-sided upper confidence bound on the accuracy this rule loses against the main head on
         * unseen data from the same distribution: the mean paired difference plus {@code z} standard
         * errors (per sample the difference is +1 lost, -1 gained, 0 otherwise).
         */
        public double lossUpperBound(double z) {
            double n = samples();
            double mean = (lost - gained) / n;
            double variance = Math.max(0, (lost + gained) / n - mean * mean);
            return mean + z * Math.sqrt(variance / n);
        }

        private int samples() {
            return Arrays.stream(exitCounts).sum();
        }

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
}
