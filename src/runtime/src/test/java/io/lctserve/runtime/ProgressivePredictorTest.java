package io.lctserve.runtime;

import static io.lctserve.runtime.ThreeHeadModel.CAT;
import static io.lctserve.runtime.ThreeHeadModel.DOG;
import static io.lctserve.runtime.ThreeHeadModel.image;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.lctserve.core.exit.ComputeCost;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.Mode;
import io.lctserve.core.model.TinyStagedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progressive evaluation on a model whose every head's answer the test chooses. */
class ProgressivePredictorTest {

    private static final long STEP = TinyStagedModel.STAGE_MACS + TinyStagedModel.HEAD_MACS;

    @TempDir
    static Path root;

    static StagedSessions sessions;
    static ProgressivePredictor predictor;

    @BeforeAll
    static void open() throws Exception {
        sessions = ThreeHeadModel.open(root);
        predictor = new ProgressivePredictor(sessions);
    }

    @AfterAll
    static void close() {
        sessions.close();
    }

    /** Hears the stages and answers, as the server's metrics do. */
    static final class Recorder implements StageListener {
        final List<Integer> stageBatches = new ArrayList<>();
        final List<Integer> exits = new ArrayList<>();
        long macs;

        @Override
        public void stageRan(int stage, int samples, long nanos) {
            assertThat(stage).isEqualTo(stageBatches.size());
            stageBatches.add(samples);
        }

        @Override
        public void answered(int stage, long sampleMacs) {
            exits.add(stage);
            macs += sampleMacs;
        }
    }

    private static BatchResult predict(ExitPlan plan, StageListener listener, float[]... images) throws Exception {
        float[] pixels = new float[images.length * 4];
        for (int i = 0; i < images.length; i++) {
            System.arraycopy(images[i], 0, pixels, i * 4, 4);
        }
        return predictor.predict(pixels, new long[] {images.length, 1, 2, 2}, plan, listener);
    }

    private static ExitPlan earlyExit(ExitRule rule) {
        return ExitPlan.of(Mode.EARLY_EXIT, rule, 2);
    }

    /** Five images that a 0.9 threshold answers at heads 0, 1, 0, 2 and 2. */
    private static final float[][] MIXED = {
        image(0, 3, 0, 0), image(0, 1, 3, 0), image(3, 0, 0, 0), image(0, 1, 1, 1), image(1, 0, 0, 4)
    };

    @Test
    void onlyTheSurvivorsRunOnAndEachAnswerIsTheOneItGetsAlone() throws Exception {
        ExitPlan plan = earlyExit(ExitRule.MaxSoftmax.everyHead(3, 0.9));
        Recorder recorder = new Recorder();

        BatchResult batch = predict(plan, recorder, MIXED);

        assertThat(batch.samples()).extracting(SampleResult::exitStage).containsExactly(0, 1, 0, 2, 2);
        assertThat(batch.samples()).extracting(SampleResult::predictedClass).containsExactly(DOG, DOG, CAT, DOG, DOG);
        assertThat(recorder.stageBatches).containsExactly(5, 3, 2);
        for (int i = 0; i < MIXED.length; i++) {
            SampleResult alone =
                    predict(plan, StageListener.NONE, MIXED[i]).samples().get(0);
            SampleResult inBatch = batch.samples().get(i);
            assertThat(inBatch.exitStage()).isEqualTo(alone.exitStage());
            assertThat(inBatch.probabilities()).containsExactly(alone.probabilities());
        }
        assertThat(batch.samples().get(1).confidence()).isCloseTo((float) ThreeHeadModel.confidence(3), within(1e-6f));
    }

    @Test
    void eachSampleCostsEveryGraphRunForItAndTheListenerHearsIt() throws Exception {
        Recorder recorder = new Recorder();

        BatchResult batch = predict(earlyExit(ExitRule.MaxSoftmax.everyHead(3, 0.9)), recorder, MIXED);

        // early exit at k ran stages 0..k and heads 0..k
        assertThat(batch.samples())
                .extracting(SampleResult::macs)
                .containsExactly(STEP, 2 * STEP, STEP, 3 * STEP, 3 * STEP);
        assertThat(batch.macsSpent()).isEqualTo(10 * STEP).isEqualTo(recorder.macs);
        assertThat(batch.macsFull()).isEqualTo(5 * sessions.cost().fullModel());
        assertThat(batch.macsFraction()).isCloseTo(10.0 * 12 / (5 * (3 * 4 + 8)), within(1e-12));
        assertThat(recorder.exits).containsExactlyInAnyOrder(0, 1, 0, 2, 2);
    }

    @Test
    void aThresholdOfOneRunsEveryHeadAndCostsMoreThanTheFullModel() throws Exception {
        ComputeCost cost = sessions.cost();

        BatchResult batch = predict(earlyExit(ExitRule.MaxSoftmax.everyHead(3, 1.0)), StageListener.NONE, MIXED[0]);

        assertThat(batch.samples().get(0).exitStage()).isEqualTo(2);
        assertThat(batch.macsSpent()).isEqualTo(3 * STEP).isEqualTo(cost.macs(Mode.EARLY_EXIT, 2));
        assertThat(batch.macsFraction()).isGreaterThan(1.0);
    }

    @Test
    void perHeadThresholdsApplyToTheirOwnHead() throws Exception {
        BatchResult strictFirst =
                predict(earlyExit(new ExitRule.MaxSoftmax(new double[] {0.99, 0.7, 0})), StageListener.NONE, MIXED);

        // head 1 is undecided (0.5) on the first image, so head 2 (threshold 0) answers it
        assertThat(strictFirst.samples()).extracting(SampleResult::exitStage).containsExactly(2, 1, 1, 1, 1);
    }

    @Test
    void entropyAnswersWhenAHeadIsSureEnough() throws Exception {
        // entropy of (0.953, 0.047) is 0.19 nats, of (0.73, 0.27) 0.58
        BatchResult batch = predict(earlyExit(ExitRule.Entropy.everyHead(3, 0.3)), StageListener.NONE, MIXED);
        BatchResult never = predict(earlyExit(ExitRule.Entropy.everyHead(3, 0)), StageListener.NONE, MIXED);

        assertThat(batch.samples()).extracting(SampleResult::exitStage).containsExactly(0, 1, 0, 2, 2);
        assertThat(never.samples()).extracting(SampleResult::exitStage).containsOnly(2);
    }

    @Test
    void patienceWaitsForHeadsInARowToAgree() throws Exception {
        float[] agreeFromTheStart = image(0, 1, 1, 1); // dog, dog, dog
        float[] changesItsMind = image(1, 2, 0, 0); // dog, cat, cat

        BatchResult two =
                predict(earlyExit(new ExitRule.Patience(2)), StageListener.NONE, agreeFromTheStart, changesItsMind);
        BatchResult one = predict(earlyExit(new ExitRule.Patience(1)), StageListener.NONE, changesItsMind);

        assertThat(two.samples()).extracting(SampleResult::exitStage).containsExactly(1, 2);
        assertThat(two.samples()).extracting(SampleResult::predictedClass).containsExactly(DOG, CAT);
        assertThat(one.samples().get(0).exitStage()).isZero();
        assertThat(one.samples().get(0).predictedClass()).isEqualTo(DOG);
    }

    @Test
    void theEnsembleAveragesEveryHeadAndKeepsThemWhenAsked() throws Exception {
        ExitPlan plan = new ExitPlan(Mode.ENSEMBLE, null, 2, ExitPlan.NO_DEADLINE, true);

        SampleResult s =
                predict(plan, StageListener.NONE, image(1, 3, 0, 0)).samples().get(0);

        assertThat(s.heads()).extracting(SampleResult.HeadProbabilities::stage).containsExactly(0, 1, 2);
        float dog = 0;
        for (SampleResult.HeadProbabilities h : s.heads()) {
            dog += h.probabilities()[DOG] / 3;
        }
        assertThat(s.probabilities()[DOG]).isCloseTo(dog, within(1e-6f));
        assertThat(s.exitStage()).isEqualTo(2);
        assertThat(s.macs()).isEqualTo(3 * STEP);
    }

    @Test
    void fullAndStageModesRunOnlyTheAnsweringHead() throws Exception {
        ExitPlan full = new ExitPlan(Mode.FULL, null, 2, ExitPlan.NO_DEADLINE, true);
        ExitPlan stage1 = new ExitPlan(Mode.STAGE, null, 1, ExitPlan.NO_DEADLINE, true);

        SampleResult f = predict(full, StageListener.NONE, MIXED[0]).samples().get(0);
        SampleResult s = predict(stage1, StageListener.NONE, MIXED[0]).samples().get(0);

        assertThat(f.heads()).extracting(SampleResult.HeadProbabilities::stage).containsExactly(2);
        assertThat(f.macs()).isEqualTo(3 * TinyStagedModel.STAGE_MACS + TinyStagedModel.HEAD_MACS);
        assertThat(s.heads()).extracting(SampleResult.HeadProbabilities::stage).containsExactly(1);
        assertThat(s.exitStage()).isEqualTo(1);
        assertThat(s.macs()).isEqualTo(2 * TinyStagedModel.STAGE_MACS + TinyStagedModel.HEAD_MACS);
    }

    @Test
    void maxStageEndsEarlyExitAtThatStagesHead() throws Exception {
        BatchResult batch = predict(
                ExitPlan.of(Mode.EARLY_EXIT, ExitRule.MaxSoftmax.everyHead(3, 0.9), 1), StageListener.NONE, MIXED);

        assertThat(batch.samples()).extracting(SampleResult::exitStage).containsExactly(0, 1, 0, 1, 1);
        assertThat(batch.samples()).extracting(SampleResult::deadlineCut).containsOnly(false);
    }

    @Test
    void aDeadlineStopsBeforeAStageThatWouldOverrunItAndAnswersFromTheSurestHead() throws Exception {
        try (StagedSessions own = ThreeHeadModel.open(root.resolve("deadline"))) {
            ProgressivePredictor planned = new ProgressivePredictor(own);
            planned.latency().record(2, 1, 10_000_000_000L); // stage 2 is known to take 10 s
            ExitPlan plan = new ExitPlan(
                    Mode.EARLY_EXIT,
                    ExitRule.MaxSoftmax.everyHead(3, 0.99),
                    2,
                    System.nanoTime() + 5_000_000_000L,
                    false);
            // head 0 says dog at 0.88, head 1 cat at 0.73: neither reaches 0.99
            float[] pixels = image(1, 3, 0, 9);

            SampleResult s = planned.predict(pixels, new long[] {1, 1, 2, 2}, plan, StageListener.NONE)
                    .samples()
                    .get(0);

            assertThat(s.deadlineCut()).isTrue();
            assertThat(s.exitStage()).isEqualTo(1);
            assertThat(s.predictedClass()).as("the surer head 0").isEqualTo(DOG);
            assertThat(s.macs()).isEqualTo(2 * STEP);
        }
    }

    @Test
    void aDeadlineAlreadyPassedAnswersFullModeFromTheFirstStage() throws Exception {
        ExitPlan plan = new ExitPlan(Mode.FULL, null, 2, System.nanoTime() - 1, false);

        SampleResult s = predict(plan, StageListener.NONE, MIXED[0]).samples().get(0);

        assertThat(s.deadlineCut()).isTrue();
        assertThat(s.exitStage()).isZero();
        assertThat(s.macs()).isEqualTo(STEP);
    }

    @Test
    void allHeadLogitsAreWhatTheHeadsSayBeforeSoftmax() throws Exception {
        float[][] logits = sessions.allHeadLogits(image(1, 2, 3, 4), new long[] {1, 1, 2, 2});

        assertThat(logits).hasNumberOfRows(3);
        assertThat(logits[0]).containsExactly(1, 2);
        assertThat(logits[1]).containsExactly(1, 3);
        assertThat(logits[2]).containsExactly(1, 4);
    }

    @Test
    void warmUpMeasuresEveryStage() throws Exception {
        try (StagedSessions own = ThreeHeadModel.open(root.resolve("warm"))) {
            ProgressivePredictor fresh = new ProgressivePredictor(own);
            assertThat(fresh.latency().predictNanos(2, 1)).isZero();

            fresh.warmUp(1);

            for (int k = 0; k < 3; k++) {
                assertThat(fresh.latency().predictNanos(k, 4)).isPositive();
            }
        }
    }

    @Test
    void aPlanOrBatchTheModelCannotTakeIsRefused() {
        assertThatThrownBy(() -> predict(ExitPlan.of(Mode.FULL, null, 3), StageListener.NONE, MIXED[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stage 3 does not exist");
        assertThatThrownBy(() -> predictor.predict(
                        new float[3], new long[] {1, 1, 2, 2}, ExitPlan.of(Mode.FULL, null, 2), StageListener.NONE))
                .hasMessageContaining("3 values do not fill a batch of shape [1, 1, 2, 2]");
        assertThatThrownBy(() -> ExitPlan.of(Mode.FULL, new ExitRule.Patience(1), 2))
                .hasMessageContaining("only it takes an exit rule");
    }
}
