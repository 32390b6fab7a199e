package io.lctserve.trainer.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.lctserve.core.data.FashionMnistSlices;
import io.lctserve.core.data.ImageSet;
import io.lctserve.trainer.nn.NetworkConfig;
import io.lctserve.trainer.nn.StagedNetwork;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pipeline changes when a stage learns, never what it learns from: every stage sees the same
 * batches with the same parameters whatever the worker count, so a pipelined run is reproducible
 * bit for bit, and under per-head cross-entropy it is the sequential run.
 */
class StagePipelineTest {

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static final ImageSet DATA = FashionMnistSlices.train().slice(0, 6 * 32);

    private static NetworkConfig tiny() {
        return new NetworkConfig(
                1,
                28,
                28,
                10,
                List.of(0.286f),
                List.of(0.353f),
                1,
                List.of(4, 8, 8),
                List.of(1, 1, 1),
                List.of(2, 2, 1),
                List.of(1, 1),
                4);
    }

    private static TrainingOptions options(CriticLoss loss, int workers) {
        return options(loss, Parallelism.pipelined(workers, 1), 32);
    }

    /** On one core: every worker count runs one intra-op thread, so timing alone tells them apart. */
    private static TrainingOptions options(CriticLoss loss, Parallelism parallelism, int batchSize) {
        TrainingOptions d = TrainingOptions.defaults();
        return new TrainingOptions(
                TrainingMode.LCT,
                loss,
                2,
                batchSize,
                d.learningRate(),
                d.momentum(),
                d.weightDecay(),
                d.criticLearningRate(),
                1f,
                new TrainingOptions.Augmentation(true, true),
                4,
                5L,
                parallelism);
    }

    /** Every parameter of the network after training, with the history. */
    private static Trained train(TrainingOptions options, ImageSet data) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            StagedNetwork network = new StagedNetwork(tiny());
            TrainingHistory history =
                    new LocalCriticTrainer(network, options, QUIET).fit(manager, data, DATA.slice(0, 64));
            List<float[]> parameters = new ArrayList<>();
            for (int k = 0; k < network.stageCount(); k++) {
                network.stageParameters(k).stream()
                        .map(Parameter::getArray)
                        .forEach(a -> parameters.add(a.toFloatArray()));
                network.headParameters(k).stream()
                        .map(Parameter::getArray)
                        .forEach(a -> parameters.add(a.toFloatArray()));
            }
            return new Trained(parameters, history);
        }
    }

    private record Trained(List<float[]> parameters, TrainingHistory history) {}

    @Test
    void underCrossEntropyCriticsThePipelineIsTheSequentialRunBitForBit() throws Exception {
        Trained sequential = train(options(CriticLoss.CE, 1), DATA);
        Trained two = train(options(CriticLoss.CE, 2), DATA);
        Trained three = train(options(CriticLoss.CE, 3), DATA);

        assertThat(two.parameters()).usingRecursiveComparison().isEqualTo(sequential.parameters());
        assertThat(three.parameters()).usingRecursiveComparison().isEqualTo(sequential.parameters());
    }

    @Test
    void underTheCascadeEveryWorkerCountGivesTheSameRunAndTheCriticsTrailByTheLag() throws Exception {
        Trained sequential = train(options(CriticLoss.CASCADE, 1), DATA);
        Trained two = train(options(CriticLoss.CASCADE, 2), DATA);
        Trained three = train(options(CriticLoss.CASCADE, 3), DATA);

        assertThat(three.parameters()).usingRecursiveComparison().isEqualTo(two.parameters());
        assertThat(two.parameters())
                .as("a critic that learns from a target 3 batches late is not the sequential critic")
                .usingRecursiveComparison()
                .isNotEqualTo(sequential.parameters());
        // stage 0's own parameters come first; its critic lags but its stage sees the critic's weights later
        assertThat(two.history().epochs()).hasSize(2);
    }

    @Test
    void autoTimesEachWorkerCountOnRealStepsEveryEpochAndTrainsAsAFixedSettingWould() throws Exception {
        ImageSet data = FashionMnistSlices.train().slice(0, 40 * 8); // 40 batches: trial segments of 4
        Parallelism auto = Parallelism.choose(2, 1);

        Trained ce = train(options(CriticLoss.CE, auto, 8), data);
        Trained ceSequential = train(options(CriticLoss.CE, Parallelism.sequential(1), 8), data);
        Trained cascade = train(options(CriticLoss.CASCADE, auto, 8), data);
        Trained cascadePipelined = train(options(CriticLoss.CASCADE, Parallelism.pipelined(2, 1), 8), data);

        assertThat(ce.parameters()).usingRecursiveComparison().isEqualTo(ceSequential.parameters());
        assertThat(cascade.parameters())
                .as("under auto a cascaded critic trails by the lag whatever runs it, as in any pipeline")
                .usingRecursiveComparison()
                .isEqualTo(cascadePipelined.parameters());
        Map<String, Object> choice = ce.history().pipelineChoice();
        assertThat(choice.get("setting")).isEqualTo("auto");
        assertThat((int) choice.get("workers")).isIn(1, 2);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> trial = (List<Map<String, Object>>) choice.get("trial");
        assertThat(trial).extracting(t -> t.get("workers")).containsExactly(1, 2);
        assertThat(trial)
                .as("two rounds of 4 batches in the first epoch, one more at the start of the second")
                .allSatisfy(t -> assertThat(t.get("batches")).isEqualTo(12));
        assertThat((String) choice.get("why"))
                .contains("sequential, 1 thread", "2 pipeline workers x 1 thread", "(12 batches each over 2 epochs");
        assertThat(ceSequential.history().pipelineChoice()).isNull();
    }

    @Test
    void autoAlternatesTheWorkerCountsAfterAWarmUpEveryEpochAndTakesTheFastestSoFar() {
        PipelineChoice choice = new PipelineChoice(3, 429);
        assertThat(choice.schedule(1)).containsExactly(3, 1, 2, 3, 3, 2, 1);
        assertThat(choice.schedule(2)).as("one more round each later epoch").containsExactly(1, 2, 3);
        assertThat(choice.schedule(3)).containsExactly(3, 2, 1);
        assertThat(choice.segment()).isEqualTo(24);
        assertThat(new PipelineChoice(2, 39).segment())
                .as("too short an epoch to time")
                .isZero();

        choice.record(1, 24, 4_000_000_000L);
        choice.record(2, 24, 3_000_000_000L);
        choice.record(3, 24, 3_500_000_000L);
        assertThat(choice.best()).isEqualTo(2);
        choice.record(2, 24, 6_000_000_000L); // a later round puts right what the first got wrong
        assertThat(choice.best()).isEqualTo(3);
        assertThat(new PipelineChoice(2, 39).best())
                .as("untimed: the most workers")
                .isEqualTo(2);
    }

    @Test
    void eachWorkersShareOfTheEpochIsRecorded() throws Exception {
        Trained two = train(options(CriticLoss.HYBRID, 2), DATA);

        List<Map<String, Object>> epochs = two.history().epochs();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> workers =
                (List<Map<String, Object>>) epochs.get(1).get("workers");
        assertThat(workers).hasSize(2);
        assertThat(workers.get(0).get("stages")).isIn("0", "0-1");
        assertThat(((Number) workers.get(1).get("imagesPerSecond")).longValue()).isPositive();
        assertThat(two.history().schedule()).isEqualTo("linear warm-up over 1 steps, then cosine over 11");
    }

    @Test
    void aFailingWorkerStopsTheWholePipelineWithItsReason() {
        int[] labels = DATA.labels().clone();
        labels[40] = 12; // no such class in a 10-class network: stage 0's critic fails on batch 1
        ImageSet bad = new ImageSet(DATA.pixels(), labels, DATA.rows(), DATA.cols());

        assertTimeoutPreemptively(
                Duration.ofSeconds(60), () -> assertThatThrownBy(() -> train(options(CriticLoss.CASCADE, 3), bad))
                        .isInstanceOf(PipelineFailure.class)
                        .hasMessageStartingWith("training stopped: the pipeline worker for stage 0 failed: "));
    }

    @Test
    void stagesSplitIntoConsecutiveGroupsOfEvenCost() {
        assertThat(StageGroups.partition(new double[] {1, 1, 1, 5}, 2))
                .containsExactly(new int[] {0, 1, 2}, new int[] {3});
        assertThat(StageGroups.partition(new double[] {3, 4, 7, 8}, 2))
                .containsExactly(new int[] {0, 1, 2}, new int[] {3});
        assertThat(StageGroups.partition(new double[] {5, 5, 5, 5}, 2))
                .containsExactly(new int[] {0, 1}, new int[] {2, 3});
        assertThat(StageGroups.partition(new double[] {1, 2}, 4)).containsExactly(new int[] {0}, new int[] {1});
        assertThat(StageGroups.partition(new double[] {1, 2, 3}, 1)).containsExactly(new int[] {0, 1, 2});
    }
}
