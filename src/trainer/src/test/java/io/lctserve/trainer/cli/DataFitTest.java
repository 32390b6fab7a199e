package io.lctserve.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Defaults follow the data: Fashion-MNIST keeps what it had, a small data set gets a split and steps it can learn from. */
class DataFitTest {

    @Test
    void validationIsATenthWithinBoundsOrWhatTheUserSays() {
        assertThat(DataFit.validationImages(null, 60_000)).isEqualTo(5000);
        assertThat(DataFit.validationImages(null, 8_000)).isEqualTo(800);
        assertThat(DataFit.validationImages(null, 4_000)).isEqualTo(500);
        assertThat(DataFit.validationImages(null, 1_000)).isEqualTo(200);
        assertThat(DataFit.validationImages("0.25", 8_000)).isEqualTo(2000);
        assertThat(DataFit.validationImages("1000", 8_000)).isEqualTo(1000);
        assertThatThrownBy(() -> DataFit.validationImages("8000", 8_000))
                .hasMessage(
                        "--validation must leave images on both sides: 1..7999 of the 8000 training images, was 8000");
        assertThatThrownBy(() -> DataFit.validationImages("ten", 8_000))
                .hasMessage("--validation takes a count (5000) or a fraction (0.1), was 'ten'");
    }

    @Test
    void smallDataGetsSmallerBatchesAndAProportionalLearningRate() {
        assertThat(DataFit.batchSize(55_000)).isEqualTo(128);
        assertThat(DataFit.batchSize(12_800)).isEqualTo(128);
        assertThat(DataFit.batchSize(7_200)).isEqualTo(64);
        assertThat(DataFit.batchSize(3_000)).isEqualTo(32);
        assertThat(DataFit.batchSize(500)).isEqualTo(32);
        assertThat(DataFit.learningRate(128)).isEqualTo(0.05f);
        assertThat(DataFit.learningRate(32)).isEqualTo(0.0125f);
    }

    @Test
    void settingsThatLookWrongForTheDataAreNamed() {
        assertThat(DataFit.warnings(55_000, 5_000, 128, 15, 10)).isEmpty();
        assertThat(DataFit.warnings(7_200, 800, 64, 4, 10)).isEmpty();
        assertThat(DataFit.warnings(3_000, 5_000, 32, 2, 10))
                .containsExactly(
                        "--validation holds out 5000 images, more than the 3000 left to train on: try --validation 0.1",
                        "only 186 optimizer steps in all (2 epochs of 93 batches of 32): consider more --epochs");
        assertThat(DataFit.warnings(50, 200, 32, 100, 10))
                .contains("50 training images for 10 classes: too few to learn from")
                .anyMatch(w -> w.startsWith("presets are calibrated on only 200 validation images"));
    }
}
