package io.lctserve.trainer.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.lctserve.core.data.FashionMnistSlices;
import io.lctserve.core.data.ImageSet;
import io.lctserve.trainer.nn.NetworkConfig;
import io.lctserve.trainer.nn.StagedNetwork;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lock is really removed: in LCT mode stage 0 learns only from critic 0, so changing every later
 * stage leaves stage 0's update (one step on one batch) bit for bit the same, while critic 0
 * (trained to predict the next head's loss) does feel the change. Under backprop the same change
 * reaches stage 0.
 */
class LocalCriticTrainerTest {

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

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

    private static TrainingOptions options(TrainingMode mode) {
        TrainingOptions d = TrainingOptions.defaults();
        return new TrainingOptions(
                mode,
                CriticLoss.CASCADE,
                1,
                64,
                d.learningRate(),
                d.momentum(),
                d.weightDecay(),
                d.criticLearningRate(),
                1f,
                TrainingOptions.Augmentation.NONE,
                d.warmupSteps(),
                7L,
                Parallelism.sequential(1));
    }

    /** Trains two identically initialized networks, the second with its later stages scaled. */
    private static List<List<float[]>> trainTwins(TrainingMode mode, ImageSet data) throws Exception {
        List<List<float[]>> result = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int twin = 0; twin < 2; twin++) {
                StagedNetwork network = new StagedNetwork(tiny());
                Engine.getInstance().setRandomSeed(11);
                network.initialize(manager);
                List<float[]> before = snapshot(network.headParameters(0));
                if (twin == 1) {
                    for (int k = 1; k < network.stageCount(); k++) {
                        network.stageParameters(k).forEach(p -> p.getArray().muli(1.5f));
                        network.headParameters(k).forEach(p -> p.getArray().muli(-1f));
                    }
                }
                new LocalCriticTrainer(network, options(mode), QUIET).fit(manager, data, data.slice(0, 0));
                result.add(snapshot(network.stageParameters(0)));
                result.add(snapshot(network.headParameters(0)));
                result.add(before);
            }
        }
        return result;
    }

    private static List<float[]> snapshot(List<Parameter> parameters) {
        return parameters.stream().map(p -> p.getArray().toFloatArray()).toList();
    }

    private static double maxDifference(List<float[]> a, List<float[]> b) {
        double max = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                max = Math.max(max, Math.abs(a.get(i)[j] - b.get(i)[j]));
            }
        }
        return max;
    }

    @Test
    void lctStageZeroIgnoresEveryLaterLossWhileItsCriticLearnsFromTheNextHead() throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        ImageSet oneBatch = FashionMnistSlices.train().slice(0, 64);

        List<List<float[]>> twins = trainTwins(TrainingMode.LCT, oneBatch);

        List<float[]> stage0 = twins.get(0);
        List<float[]> critic0 = twins.get(1);
        List<float[]> critic0Initial = twins.get(2);
        assertThat(maxDifference(stage0, twins.get(3)))
                .as("stage 0 after LCT, later stages changed")
                .isZero();
        assertThat(maxDifference(critic0, critic0Initial))
                .as("critic 0 learned")
                .isGreaterThan(1e-4);
        assertThat(maxDifference(critic0, twins.get(4)))
                .as("critic 0 follows the next head's loss")
                .isGreaterThan(0);
    }

    @Test
    void backpropStageZeroFeelsTheLaterStages() throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        ImageSet oneBatch = FashionMnistSlices.train().slice(0, 64);

        List<List<float[]>> twins = trainTwins(TrainingMode.BACKPROP, oneBatch);

        assertThat(maxDifference(twins.get(0), twins.get(3))).isGreaterThan(1e-6);
    }
}
