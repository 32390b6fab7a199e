package io.lctserve.trainer.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The network built from {@code submodel(k)} is layer for layer the sub-model "stages 0..k + head k"
 * of the full network: same parameter shapes, same MACs, so the two can be compared fairly.
 */
class NetworkConfigTest {

    private static final NetworkConfig FULL = NetworkConfig.defaults(10, 1, 28, 28, List.of(0.286f), List.of(0.353f));

    @Test
    void submodelKIsStagesZeroToKWithCriticKAsItsClassifier() {
        StagedNetwork full = new StagedNetwork(FULL);
        try (NDManager manager = NDManager.newBaseManager()) {
            full.initialize(manager);
            for (int k = 0; k < FULL.stageCount() - 1; k++) {
                StagedNetwork alone = new StagedNetwork(FULL.submodel(k));
                alone.initialize(manager);
                assertThat(alone.stageCount()).isEqualTo(k + 1);
                assertThat(alone.config().criticShapedLastHead()).isTrue();
                long macs = full.head(k).macs();
                for (int s = 0; s <= k; s++) {
                    macs += full.stage(s).macs();
                    assertThat(shapes(alone.stageParameters(s))).isEqualTo(shapes(full.stageParameters(s)));
                }
                assertThat(alone.cost().fullModel()).isEqualTo(macs);
                assertThat(full.cost().submodel(k)).isEqualTo(macs);
                assertThat(shapes(alone.headParameters(k))).isEqualTo(shapes(full.headParameters(k)));
            }
        }
    }

    @Test
    void theLastSubmodelIsTheFullNetworkAndOthersAreRefused() {
        assertThat(FULL.submodel(3)).isSameAs(FULL);
        assertThat(FULL.criticShapedLastHead()).isFalse();
        assertThatThrownBy(() -> FULL.submodel(4)).hasMessageContaining("0..3").hasMessageContaining("4");
        assertThatThrownBy(() -> new NetworkConfig(
                        1,
                        28,
                        28,
                        10,
                        List.of(0f),
                        List.of(1f),
                        1,
                        List.of(8, 8),
                        List.of(1, 1),
                        List.of(2, 2),
                        List.of(1, 1, 1),
                        4))
                .hasMessageContaining("critic-convs");
    }

    private static List<String> shapes(List<Parameter> parameters) {
        return parameters.stream().map(p -> p.getArray().getShape().toString()).toList();
    }
}
