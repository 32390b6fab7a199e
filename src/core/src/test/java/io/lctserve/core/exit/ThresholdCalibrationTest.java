package io.lctserve.core.exit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Calibration on data with a known structure: three heads of rising accuracy whose confidence
 * tracks correctness, as a trained staged model's do.
 */
class ThresholdCalibrationTest {

    private static final int SAMPLES = 4000;
    private static final int CLASSES = 10;

    /** Early exit at head 0, 1, 2 costs 0.2, 0.5 and 1.1 of the full model (which reads head 2 only). */
    private static final ComputeCost COST = ComputeCost.of(new long[] {15, 25, 50}, new long[] {5, 5, 10});

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

    private static double[] thresholds(ExitAnalysis.Outcome o) {
        return ((ExitRule.MaxSoftmax) o.rule()).thresholds();
    }

    @Test
    void everyPresetStaysWithinItsBudgetOnTheCalibrationData() {
        ExitAnalysis validation = synthetic(1);
        double full = validation.headAccuracy()[2];

        for (double budget : ThresholdCalibration.BUDGETS.values()) {
            ExitAnalysis.Outcome o = ThresholdCalibration.calibrate(validation, budget);

            assertThat(o.accuracy()).isGreaterThanOrEqualTo(full - budget - 1e-12);
            assertThat(thresholds(o)[2]).isZero();
            assertThat(o.meanMacsFraction()).isLessThan(1.0);
            ExitAnalysis.Outcome again = validation.outcome(o.rule());
            assertThat(again.accuracy()).as("the rule reproduces its outcome").isEqualTo(o.accuracy());
            assertThat(again.exitCounts()).containsExactly(o.exitCounts());
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
        double budget = 0.005;
        double bestShared = Double.MAX_VALUE;
        for (double t : ThresholdCalibration.GRID) {
            ExitAnalysis.Outcome o = validation.outcome(ExitRule.MaxSoftmax.everyHead(3, t));
            if (ThresholdCalibration.within(o, budget)) {
                bestShared = Math.min(bestShared, o.meanMacsFraction());
            }
        }

        assertThat(ThresholdCalibration.calibrate(validation, budget).meanMacsFraction())
                .isLessThanOrEqualTo(bestShared);
    }

    @Test
    void presetsKeepTheirPromiseOnUnseenDataBecauseTheyLeaveAMarginForTheEstimate() {
        ExitAnalysis validation = synthetic(1);

        for (double budget : ThresholdCalibration.BUDGETS.values()) {
            ExitAnalysis.Outcome o = ThresholdCalibration.calibrate(validation, budget);
            double standardError = (o.lossUpperBound(ThresholdCalibration.Z) - o.loss()) / ThresholdCalibration.Z;
            assertThat(o.loss()).isLessThanOrEqualTo(budget - ThresholdCalibration.Z * standardError + 1e-12);
            assertThat(unseenSetsOver(o.rule(), budget))
                    .as("unseen sets where the %s budget is broken", budget)
                    .isLessThanOrEqualTo(1);
        }
    }

    /** Of ten synthetic sets the calibration never saw, those on which {@code rule} loses more than {@code budget}. */
    private static int unseenSetsOver(ExitRule rule, double budget) {
        int over = 0;
        for (long seed = 100; seed < 110; seed++) {
            if (synthetic(seed).outcome(rule).loss() > budget) {
                over++;
            }
        }
        return over;
    }

    @Test
    void aHeldOutPresetPassedItsBudgetOnImagesItsSearchNeverSaw() {
        ExitAnalysis validation = synthetic(8);
        ExitAnalysis confirming = validation.half(1);
        double previous = Double.MAX_VALUE;

        for (double budget : ThresholdCalibration.BUDGETS.values()) {
            for (String rule : new String[] {ExitRule.MAX_SOFTMAX, ExitRule.ENTROPY}) {
                ExitAnalysis.Outcome o = ThresholdCalibration.calibrateHeldOut(rule, validation, budget);

                assertThat(ThresholdCalibration.within(confirming.outcome(o.rule()), budget))
                        .as("%s within %s on the confirming half", rule, budget)
                        .isTrue();
                assertThat(validation.outcome(o.rule()).accuracy()).isEqualTo(o.accuracy()); // all images'
            }
            double cost = ThresholdCalibration.calibrateHeldOut(ExitRule.MAX_SOFTMAX, validation, budget)
                    .meanMacsFraction();
            assertThat(cost).as("a looser budget never costs more").isLessThanOrEqualTo(previous);
            previous = cost;
        }
    }

    @Test
    void heldOutPresetsKeepTheirPromiseOnUnseenData() {
        ExitAnalysis validation = synthetic(1);

        for (double budget : ThresholdCalibration.BUDGETS.values()) {
            ExitAnalysis.Outcome o = ThresholdCalibration.calibrateHeldOut(ExitRule.MAX_SOFTMAX, validation, budget);
            assertThat(unseenSetsOver(o.rule(), budget))
                    .as("unseen sets where the %s budget is broken", budget)
                    .isLessThanOrEqualTo(1);
        }
    }

    @Test
    void heldOutPatienceStopsAtTheFirstHeadCountOverBudget() {
        ExitAnalysis validation = synthetic(9);

        for (double budget : ThresholdCalibration.BUDGETS.values()) {
            ExitAnalysis.Outcome o = ThresholdCalibration.calibrateHeldOut(ExitRule.PATIENCE, validation, budget);
            int heads = ((ExitRule.Patience) o.rule()).heads();
            for (int k = heads; k <= 3; k++) {
                assertThat(ThresholdCalibration.within(validation.outcome(new ExitRule.Patience(k)), budget))
                        .isTrue();
            }
            if (heads > 1) {
                assertThat(ThresholdCalibration.within(validation.outcome(new ExitRule.Patience(heads - 1)), budget))
                        .isFalse();
            }
        }
    }

    @Test
    void halvesSplitTheSamplesBetweenThem() {
        ExitAnalysis data = synthetic(10);
        ExitAnalysis even = data.half(0);
        ExitAnalysis odd = data.half(1);
        ExitRule rule = ExitRule.MaxSoftmax.everyHead(3, 0.9);

        assertThat(even.samples() + odd.samples()).isEqualTo(SAMPLES);
        int[] both = new int[3];
        for (int k = 0; k < 3; k++) {
            both[k] = even.outcome(rule).exitCounts()[k] + odd.outcome(rule).exitCounts()[k];
        }
        assertThat(both).containsExactly(data.outcome(rule).exitCounts());
        assertThat(even.outcome(rule).lost() + odd.outcome(rule).lost())
                .isEqualTo(data.outcome(rule).lost());
    }

    @Test
    void theLossBoundIsThePairedEstimatePlusItsStandardErrors() {
        ExitAnalysis data = synthetic(7);
        ExitAnalysis.Outcome o = data.outcome(ExitRule.MaxSoftmax.everyHead(3, 0.8));
        double n = SAMPLES;
        double mean = (o.lost() - o.gained()) / n;
        double variance = (o.lost() + o.gained()) / n - mean * mean;

        assertThat(o.loss()).isCloseTo(data.headAccuracy()[2] - o.accuracy(), Offset.offset(1e-12));
        assertThat(o.lossUpperBound(2)).isCloseTo(mean + 2 * Math.sqrt(variance / n), Offset.offset(1e-12));
        assertThat(data.outcome(new ExitRule.Patience(3)).lossUpperBound(5)).isZero();
    }

    @Test
    void computeCountsEveryHeadReadBeforeTheAnswer() {
        ExitAnalysis data = synthetic(4);

        ExitAnalysis.Outcome first = data.outcome(ExitRule.MaxSoftmax.everyHead(3, 0.0));
        ExitAnalysis.Outcome last = data.outcome(ExitRule.MaxSoftmax.everyHead(3, 1.0));

        assertThat(first.exitCounts()).containsExactly(SAMPLES, 0, 0);
        assertThat(first.meanMacsFraction()).isCloseTo(0.2, Offset.offset(1e-9));
        assertThat(first.accuracy()).isEqualTo(data.headAccuracy()[0]);
        assertThat(last.exitCounts()).containsExactly(0, 0, SAMPLES);
        assertThat(last.meanMacsFraction()).isCloseTo(COST.fraction(Mode.EARLY_EXIT, 2), Offset.offset(1e-9));
        assertThat(last.meanMacsFraction()).isCloseTo(1.1, Offset.offset(1e-9));
        assertThat(data.ensembleCostFraction()).isCloseTo(1.1, Offset.offset(1e-9));
        assertThat(data.headCostFraction()).containsExactly(new double[] {0.2, 0.45, 1.0}, Offset.offset(1e-9));
    }

    @Test
    void entropyAndPatienceRulesSpanFromFirstToLastHead() {
        ExitAnalysis data = synthetic(5);

        assertThat(data.outcome(new ExitRule.Patience(1)).exitCounts()).containsExactly(SAMPLES, 0, 0);
        assertThat(data.outcome(new ExitRule.Patience(3)).exitCounts()).containsExactly(0, 0, SAMPLES);
        assertThat(data.outcome(ExitRule.Entropy.everyHead(3, 100)).exitCounts())
                .containsExactly(SAMPLES, 0, 0);
        assertThat(data.outcome(ExitRule.Entropy.everyHead(3, 0)).exitCounts()).containsExactly(0, 0, SAMPLES);
        ExitAnalysis.Outcome two = data.outcome(new ExitRule.Patience(2));
        assertThat(two.exitCounts()[0]).isZero();
        assertThat(two.exitCounts()[1]).isPositive();
    }

    @Test
    void entropyAndPatiencePresetsStayWithinTheirBudgetsToo() {
        ExitAnalysis validation = synthetic(6);
        double full = validation.headAccuracy()[2];
        double previousEntropyCost = Double.MAX_VALUE;
        double previousPatienceCost = Double.MAX_VALUE;

        for (double budget : ThresholdCalibration.BUDGETS.values()) {
            ExitAnalysis.Outcome entropy = ThresholdCalibration.calibrateEntropy(validation, budget);
            ExitAnalysis.Outcome patience = ThresholdCalibration.calibratePatience(validation, budget);

            assertThat(entropy.accuracy()).isGreaterThanOrEqualTo(full - budget - 1e-12);
            assertThat(patience.accuracy()).isGreaterThanOrEqualTo(full - budget - 1e-12);
            double[] bounds = ((ExitRule.Entropy) entropy.rule()).bounds();
            assertThat(bounds).hasSize(3);
            assertThat(bounds[2]).isEqualTo(2.3026);
            assertThat(((ExitRule.Patience) patience.rule()).heads()).isBetween(1, 3);
            assertThat(validation.outcome(entropy.rule()).accuracy()).isEqualTo(entropy.accuracy());
            assertThat(entropy.meanMacsFraction())
                    .isLessThanOrEqualTo(previousEntropyCost)
                    .isLessThan(1.0);
            assertThat(patience.meanMacsFraction()).isLessThanOrEqualTo(previousPatienceCost);
            previousEntropyCost = entropy.meanMacsFraction();
            previousPatienceCost = patience.meanMacsFraction();
        }
    }
}
