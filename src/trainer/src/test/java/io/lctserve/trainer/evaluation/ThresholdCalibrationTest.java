package io.lctserve.trainer.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Calibration on data with a known structure: three heads of rising accuracy whose confidence
 * tracks correctness, as a trained staged model's do.
 */
class ThresholdCalibrationTest {

    private static final int SAMPLES = 4000;
    private static final int CLASSES = 10;
    private static final double[] COST = {0.2, 0.5, 1.0};

    /** Head k is right with probability ACCURACY[k]; right answers tend to be confident. */
    private static ExitAnalysis synthetic(long seed) {
        double[] accuracy = {0.80, 0.88, 0.93};
        Random random = new Random(seed);
        int[] labels = new int[SAMPLES];
        float[][] logits = new float[3][SAMPLES * CLASSES];
        for (int i = 0; i < SAMPLES; i++) {
            labels[i] = random.nextInt(CLASSES);
            double difficulty = random.nextDouble();
            for (int k = 0; k < 3; k++) {
                boolean right = difficulty < accuracy[k];
                int predicted = right ? labels[i] : (labels[i] + 1 + random.nextInt(CLASSES - 1)) % CLASSES;
                float margin = (float)
                        (right
                                ? 1 + 6 * (accuracy[k] - difficulty) + random.nextGaussian() * 0.5
                                : 0.5 + random.nextDouble());
                for (int c = 0; c < CLASSES; c++) {
                    logits[k][i * CLASSES + c] = c == predicted ? margin : (float) (random.nextGaussian() * 0.3);
                }
            }
        }
        return new ExitAnalysis(logits, labels, COST);
    }

    @Test
    void everyPresetStaysWithinItsBudgetOnTheCalibrationData() {
        ExitAnalysis validation = synthetic(1);
        double full = validation.headAccuracy()[2];

        for (double budget : ThresholdCalibration.BUDGETS.values()) {
            ExitAnalysis.Outcome o = ThresholdCalibration.calibrate(validation, budget);

            assertThat(o.accuracy()).isGreaterThanOrEqualTo(full - budget - 1e-12);
            assertThat(o.thresholds()[2]).isZero();
            assertThat(java.util.Arrays.stream(o.thresholds()).boxed().toList())
                    .allSatisfy(t -> assertThat(t).isBetween(0.0, 1.0));
            assertThat(o.meanMacsFraction()).isLessThan(1.0);
        }
    }

    @Test
    void looserBudgetsNeverCostMore() {
        ExitAnalysis validation = synthetic(2);

        double accurate = ThresholdCalibration.calibrate(validation, 0.001).meanMacsFraction();
        double balanced = ThresholdCalibration.calibrate(validation, 0.005).meanMacsFraction();
        double fast = ThresholdCalibration.calibrate(validation, 0.015).meanMacsFraction();

        assertThat(balanced).isLessThanOrEqualTo(accurate);
        assertThat(fast).isLessThanOrEqualTo(balanced);
    }

    @Test
    void perHeadSearchIsAtLeastAsCheapAsTheBestSharedThreshold() {
        ExitAnalysis validation = synthetic(3);
        double full = validation.headAccuracy()[2];
        double budget = 0.005;
        double bestShared = 1.0;
        for (double t : ThresholdCalibration.GRID) {
            ExitAnalysis.Outcome o = validation.earlyExit(t);
            if (o.accuracy() >= full - budget) {
                bestShared = Math.min(bestShared, o.meanMacsFraction());
            }
        }

        assertThat(ThresholdCalibration.calibrate(validation, budget).meanMacsFraction())
                .isLessThanOrEqualTo(bestShared);
    }

    @Test
    void earlyExitAtThresholdZeroAnswersEverythingAtTheFirstHead() {
        ExitAnalysis data = synthetic(4);

        ExitAnalysis.Outcome o = data.earlyExit(0.0);

        assertThat(o.exitCounts()).containsExactly(SAMPLES, 0, 0);
        assertThat(o.meanMacsFraction()).isCloseTo(COST[0], org.assertj.core.data.Offset.offset(1e-9));
        assertThat(o.accuracy()).isEqualTo(data.headAccuracy()[0]);
    }

    @Test
    void entropyAndPatienceRulesSpanFromFirstToLastHead() {
        ExitAnalysis data = synthetic(5);

        assertThat(data.earlyExitByPatience(1).exitCounts()).containsExactly(SAMPLES, 0, 0);
        assertThat(data.earlyExitByPatience(3).exitCounts()).containsExactly(0, 0, SAMPLES);
        assertThat(data.earlyExitByEntropy(100).exitCounts()).containsExactly(SAMPLES, 0, 0);
        assertThat(data.earlyExitByEntropy(0).exitCounts()).containsExactly(0, 0, SAMPLES);
        ExitAnalysis.Outcome two = data.earlyExitByPatience(2);
        assertThat(two.exitCounts()[0]).isZero();
        assertThat(two.exitCounts()[1]).isPositive();
    }

    @Test
    void entropyAndPatiencePresetsStayWithinTheirBudgetsToo() {
        ExitAnalysis validation = synthetic(6);
        double full = validation.headAccuracy()[2];
        double previousEntropyCost = 1.0;
        double previousPatienceCost = 1.0;

        for (double budget : ThresholdCalibration.BUDGETS.values()) {
            ExitAnalysis.Outcome entropy = ThresholdCalibration.calibrateEntropy(validation, budget);
            ExitAnalysis.Outcome patience = ThresholdCalibration.calibratePatience(validation, budget);

            assertThat(entropy.accuracy()).isGreaterThanOrEqualTo(full - budget - 1e-12);
            assertThat(patience.accuracy()).isGreaterThanOrEqualTo(full - budget - 1e-12);
            assertThat(java.util.Arrays.stream(entropy.thresholds()).boxed().toList())
                    .hasSize(3)
                    .allSatisfy(t -> assertThat(t).isBetween(0.0, 2.3026));
            assertThat(entropy.thresholds()[2]).isEqualTo(2.3026);
            assertThat(patience.thresholds()[0]).isBetween(1.0, 3.0);
            // the written setting reproduces the outcome it was chosen for
            assertThat(validation.earlyExitByEntropy(entropy.thresholds()).accuracy())
                    .isEqualTo(entropy.accuracy());
            assertThat(entropy.meanMacsFraction())
                    .isLessThanOrEqualTo(previousEntropyCost)
                    .isLessThan(1.0);
            assertThat(patience.meanMacsFraction()).isLessThanOrEqualTo(previousPatienceCost);
            previousEntropyCost = entropy.meanMacsFraction();
            previousPatienceCost = patience.meanMacsFraction();
        }
    }
}
