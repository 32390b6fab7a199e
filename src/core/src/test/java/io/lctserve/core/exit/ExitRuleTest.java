package io.lctserve.core.exit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lctserve.core.manifest.Preset;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExitRuleTest {

    /** A head that predicts class 1 with probability 0.8 of 2 classes, after {@code agreeing - 1} agreeing heads. */
    private static HeadOutput confident(int agreeing) {
        float[] p = {0.2f, 0.8f};
        HeadOutput previous = null;
        for (int i = 0; i < agreeing; i++) {
            previous = HeadOutput.of(p, 0, 2, previous);
        }
        return previous;
    }

    @Test
    void headOutputReadsClassConfidenceEntropyAndAgreement() {
        float[] rows = {0.1f, 0.9f, 0.6f, 0.4f};
        HeadOutput first = HeadOutput.of(rows, 0, 2, null);
        HeadOutput agrees = HeadOutput.of(rows, 0, 2, first);
        HeadOutput disagrees = HeadOutput.of(rows, 2, 2, agrees);

        assertThat(first.predictedClass()).isEqualTo(1);
        assertThat(first.confidence()).isEqualTo(0.9f);
        assertThat(first.entropy()).isCloseTo(-(0.1 * Math.log(0.1) + 0.9 * Math.log(0.9)), within());
        assertThat(agrees.agreeingHeads()).isEqualTo(2);
        assertThat(disagrees.predictedClass()).isZero();
        assertThat(disagrees.agreeingHeads()).isEqualTo(1);
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-6);
    }

    @Test
    void maxSoftmaxAnswersAtItsHeadsThreshold() {
        ExitRule rule = new ExitRule.MaxSoftmax(new double[] {0.9, 0.8});

        assertThat(rule.exits(0, confident(1))).isFalse();
        assertThat(rule.exits(1, confident(1))).isTrue();
        assertThat(ExitRule.MaxSoftmax.everyHead(2, 0.8).exits(0, confident(1))).isTrue();
    }

    @Test
    void entropyAnswersBelowItsHeadsBound() {
        double h = confident(1).entropy(); // 0.500 nats
        ExitRule rule = new ExitRule.Entropy(new double[] {h, h + 0.01});

        assertThat(rule.exits(0, confident(1))).isFalse(); // strictly below
        assertThat(rule.exits(1, confident(1))).isTrue();
        assertThat(ExitRule.Entropy.everyHead(2, 0).exits(1, confident(1))).isFalse();
    }

    @Test
    void patienceAnswersOnceEnoughHeadsAgree() {
        ExitRule rule = new ExitRule.Patience(2);

        assertThat(rule.exits(0, confident(1))).isFalse();
        assertThat(rule.exits(1, confident(2))).isTrue();
        assertThat(new ExitRule.Patience(1).exits(0, confident(1))).isTrue();
    }

    @Test
    void everyRuleRoundTripsThroughItsManifestForm() {
        List<ExitRule> rules = List.of(
                new ExitRule.MaxSoftmax(new double[] {0.7, 0.0}),
                new ExitRule.Entropy(new double[] {0.4, 0.69}),
                new ExitRule.Patience(2));

        for (ExitRule rule : rules) {
            Preset preset = rule.toPreset(0.9, 0.5);

            assertThat(ExitRule.problems(preset, 2)).as(rule.toString()).isEmpty();
            assertThat(ExitRule.of(preset)).isEqualTo(rule);
            assertThat(preset.testAccuracy()).isEqualTo(0.9);
        }
        assertThat(rules.get(0).toPreset(null, null).rule())
                .as("DESIGN.md's form")
                .isNull();
        assertThat(rules.get(1).toPreset(null, null).rule()).isEqualTo("entropy");
    }

    @Test
    void manifestFormProblemsNameTheField() {
        assertThat(ExitRule.problems(new Preset("vote", null, null, null, null, null, null), 2))
                .containsExactly(new RuleProblem("rule", "unknown rule 'vote'; use max_softmax, entropy or patience"));
        assertThat(ExitRule.problems(new Preset(null, List.of(0.5, 1.5), null, 2, null, null, null), 2))
                .containsExactly(
                        new RuleProblem("patience", "rule max_softmax takes no patience"),
                        new RuleProblem("thresholds[1]", "must be in [0, 1], was 1.5"));
        assertThat(ExitRule.problems(new Preset("patience", null, null, 0, null, null, null), 2))
                .containsExactly(
                        new RuleProblem("patience", "needs how many consecutive heads must agree (1..2), was 0"));
    }

    @Test
    void settingsOutOfRangeAreRefusedWhenBuilt() {
        assertThatThrownBy(() -> ExitRule.MaxSoftmax.everyHead(2, 1.5))
                .hasMessage("threshold must be in [0, 1], was 1.5");
        assertThatThrownBy(() -> ExitRule.Entropy.everyHead(2, -1))
                .hasMessage("entropy bound must be a number of nats >= 0, was -1");
        assertThatThrownBy(() -> new ExitRule.Patience(0)).hasMessageContaining("at least 1");
    }

    @Test
    void settingsReadForPeople() {
        assertThat(new ExitRule.MaxSoftmax(new double[] {0.7, 0.0}).setting()).isEqualTo("[0.7, 0]");
        assertThat(new ExitRule.Patience(2).setting()).isEqualTo("2 heads agree");
        assertThat(new ExitRule.Entropy(new double[] {0.5}).toString()).isEqualTo("entropy [0.5]");
    }
}
