package io.lctserve.core.exit;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ProbabilitiesTest {

    @Test
    void softmaxRowsSumToOneAndSurviveLargeLogits() {
        float[] rows = {1000f, 1000f, 0f, Float.NEGATIVE_INFINITY, 0f, 0f};

        Probabilities.softmaxRows(rows, 3);

        assertThat(rows[0]).isEqualTo(0.5f);
        assertThat(rows[1]).isEqualTo(0.5f);
        assertThat(rows[2]).isZero();
        assertThat(rows[3]).isZero();
        assertThat(rows[4] + rows[5]).isCloseTo(1f, Offset.offset(1e-6f));
    }

    @Test
    void argMaxTakesTheFirstOfEqualValuesWithinItsRow() {
        float[] values = {9f, 0.2f, 0.5f, 0.5f};

        assertThat(Probabilities.argMax(values, 1, 3)).isEqualTo(1);
        assertThat(Probabilities.argMax(values, 0, 4)).isZero();
    }

    @Test
    void entropyIsZeroForACertainAnswerAndLnNForAUniformOne() {
        assertThat(Probabilities.entropy(new float[] {0f, 1f}, 0, 2)).isZero();
        assertThat(Probabilities.entropy(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, 0, 4))
                .isCloseTo(Math.log(4), Offset.offset(1e-6));
    }
}
