package io.lctserve.core.exit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The cost of an answer is every graph run for it; the shipped model's MACs as the example. */
class ComputeCostTest {

    /** models/fashion-mnist/1: stage and head MACs per image. */
    private static final ComputeCost SHIPPED = ComputeCost.of(
            new long[] {2_314_368, 3_612_672, 6_322_176, 8_257_536}, new long[] {805_952, 693_056, 1_370_432, 1_920});

    @Test
    void theFullModelIsEveryStageAndTheLastHead() {
        assertThat(SHIPPED.fullModel()).isEqualTo(20_508_672);
        assertThat(SHIPPED.macs(Mode.FULL, 3)).isEqualTo(SHIPPED.fullModel());
        assertThat(SHIPPED.fraction(Mode.FULL, 3)).isEqualTo(1.0);
    }

    @Test
    void earlyExitPaysForEveryHeadItReadBeforeAnswering() {
        // threshold 1.0: every head runs and the last one answers
        assertThat(SHIPPED.fraction(Mode.EARLY_EXIT, 3)).isCloseTo(1.140, within(5e-4));
        // max_stage 2 in early-exit mode: stages 0..2 and heads 0..2
        assertThat(SHIPPED.fraction(Mode.EARLY_EXIT, 2)).isCloseTo(0.737, within(5e-4));
        assertThat(SHIPPED.macs(Mode.EARLY_EXIT, 0)).isEqualTo(2_314_368 + 805_952);
        assertThat(SHIPPED.macs(Mode.EARLY_EXIT, 1)).isEqualTo(2_314_368 + 3_612_672 + 805_952 + 693_056);
    }

    @Test
    void theEnsembleRunsEveryHeadAndStageModeOnlyItsOwn() {
        assertThat(SHIPPED.macs(Mode.ENSEMBLE, 3)).isEqualTo(SHIPPED.macs(Mode.EARLY_EXIT, 3));
        assertThat(SHIPPED.macs(Mode.STAGE, 2)).isEqualTo(2_314_368 + 3_612_672 + 6_322_176 + 1_370_432);
        assertThat(SHIPPED.submodel(2)).isEqualTo(SHIPPED.macs(Mode.STAGE, 2));
        assertThat(SHIPPED.fraction(Mode.STAGE, 2)).isCloseTo(0.664, within(5e-4));
        // a deadline that stops full mode at stage 1 ran stages 0..1 and head 1 only
        assertThat(SHIPPED.macs(Mode.FULL, 1)).isEqualTo(SHIPPED.macs(Mode.STAGE, 1));
    }

    @Test
    void aManifestsCostIsItsGraphsMacs(@org.junit.jupiter.api.io.TempDir java.nio.file.Path root) throws Exception {
        var manifest = io.lctserve.core.model.ModelFolder.load(io.lctserve.core.model.TinyStagedModel.write(root))
                .manifest();

        ComputeCost cost = ComputeCost.of(manifest);

        assertThat(cost.exits()).isEqualTo(2);
        assertThat(cost.fullModel()).isEqualTo(4 + 4 + 8);
        assertThat(cost.macs(Mode.EARLY_EXIT, 1)).isEqualTo(4 + 4 + 8 + 8);
        assertThat(cost.fraction(Mode.EARLY_EXIT, 0)).isEqualTo(12 / 16.0);
    }

    @Test
    void modesHaveWireNames() {
        assertThat(Mode.wireNames()).isEqualTo("early_exit, ensemble, full, stage");
        assertThat(Mode.fromWire("stage")).contains(Mode.STAGE);
        assertThat(Mode.fromWire("STAGE")).isEmpty();
        assertThat(Mode.FULL.consultsEveryHead()).isFalse();
    }

    @Test
    void headsMustMatchStages() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ComputeCost.of(new long[] {1, 2}, new long[] {1}))
                .hasMessageContaining("one head per stage");
    }
}
