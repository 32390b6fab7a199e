package io.lctserve.trainer.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import io.lctserve.core.data.FashionMnistSlices;
import io.lctserve.core.data.ImageSet;
import io.lctserve.trainer.nn.NetworkConfig;
import io.lctserve.trainer.nn.StagedNetwork;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stopped run goes on from its last epoch's checkpoint with the same data order and schedule. */
class CheckpointTest {

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static final ImageSet TRAIN = FashionMnistSlices.train().slice(0, 4 * 32);
    private static final ImageSet VALIDATION = FashionMnistSlices.train().slice(200, 264);

    private static NetworkConfig tiny() {
        return new NetworkConfig(
                1,
                28,
                28,
                10,
                List.of(0.286f),
                List.of(0.353f),
                1,
                List.of(4, 8),
                List.of(1, 1),
                List.of(2, 2),
                List.of(1),
                4);
    }

    private static TrainingOptions options(int epochs) {
        TrainingOptions d = TrainingOptions.defaults();
        return new TrainingOptions(
                TrainingMode.LCT,
                CriticLoss.CE,
                epochs,
                32,
                d.learningRate(),
                d.momentum(),
                d.weightDecay(),
                d.criticLearningRate(),
                1f,
                new TrainingOptions.Augmentation(true, false),
                2,
                3L,
                Parallelism.pipelined(2, 1));
    }

    private static final class Stop extends RuntimeException {}

    @Test
    void aRunStoppedAfterAnEpochResumesFromItsCheckpointAndRemovesItAtTheEnd(@TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LocalCriticTrainer stopped = new LocalCriticTrainer(new StagedNetwork(tiny()), options(3), QUIET)
                    .checkpointingIn(dir, false)
                    .afterEpoch(epoch -> {
                        if (epoch == 2) {
                            throw new Stop();
                        }
                    });
            assertThatThrownBy(() -> stopped.fit(manager, TRAIN, VALIDATION)).isInstanceOf(Stop.class);
            assertThat(dir.resolve(Checkpoint.FILE)).exists();

            TrainingHistory whole = new LocalCriticTrainer(new StagedNetwork(tiny()), options(3), QUIET)
                    .fit(manager, TRAIN, VALIDATION);
            TrainingHistory resumed = new LocalCriticTrainer(new StagedNetwork(tiny()), options(3), QUIET)
                    .checkpointingIn(dir, true)
                    .fit(manager, TRAIN, VALIDATION);

            assertThat(resumed.epochs()).hasSize(3);
            for (int e = 0; e < 2; e++) {
                assertThat(accuracies(resumed.epochs().get(e)))
                        .isEqualTo(accuracies(whole.epochs().get(e)));
            }
            assertThat(resumed.epochs().get(2).get("epoch")).isEqualTo(3);
            assertThat(resumed.schedule()).isEqualTo(whole.schedule());
            assertThat(dir.resolve(Checkpoint.FILE)).doesNotExist();
        }
    }

    @Test
    void aCheckpointOfOtherSettingsIsRefused(@TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            LocalCriticTrainer stopped = new LocalCriticTrainer(new StagedNetwork(tiny()), options(2), QUIET)
                    .checkpointingIn(dir, false)
                    .afterEpoch(epoch -> {
                        throw new Stop();
                    });
            assertThatThrownBy(() -> stopped.fit(manager, TRAIN, VALIDATION)).isInstanceOf(Stop.class);

            LocalCriticTrainer other =
                    new LocalCriticTrainer(new StagedNetwork(tiny()), options(5), QUIET).checkpointingIn(dir, true);
            assertThatThrownBy(() -> other.fit(manager, TRAIN, VALIDATION))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("was written by a run with other settings");
        }
    }

    private static List<Object> accuracies(Map<String, Object> epoch) {
        return List.of(epoch.get("trainHeadAccuracy"), epoch.get("validationHeadAccuracy"), epoch.get("meanLoss"));
    }
}
