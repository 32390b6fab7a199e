package io.lctserve.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lctserve.core.manifest.Preset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveAgreementTest {

    private static final Preset CALIBRATED = new Preset(null, List.of(0.5, 0.0), null, null, 0.9, 0.5, 0.03);

    @Test
    void wilsonIntervalsMatchTheirFormula() {
        // 10 of 100: the textbook 95 % Wilson interval is 5.52 % to 17.44 %
        double[] i = LiveAgreement.wilson(10, 100);
        assertThat(i[0]).isCloseTo(0.0552, within(1e-4));
        assertThat(i[1]).isCloseTo(0.1744, within(1e-4));
        assertThat(LiveAgreement.wilson(0, 50)[0]).isZero();
        assertThat(LiveAgreement.wilson(0, 0)).containsExactly(0, 1);
    }

    @Test
    void aPresetIsAboveCalibrationOnlyWhenTheWholeIntervalIs() {
        LiveAgreement live = new LiveAgreement(Map.of("balanced", CALIBRATED), 400, 0);
        for (int i = 0; i < 99; i++) {
            assertThat(live.record("balanced", i % 5 != 0)).isNull(); // 20 % differ, but too few to say
        }
        assertThat(live.snapshot().get(0).state()).isEqualTo("collecting");
        assertThat(live.record("balanced", true)).isEqualTo("above calibration"); // 100th: lower bound > 3 %

        // the window forgets: 400 samples at 3 % bring it back
        String state = null;
        for (int i = 0; i < 400; i++) {
            String changed = live.record("balanced", i % 100 >= 3);
            state = changed != null ? changed : state;
        }
        LiveAgreement.Snapshot s = live.snapshot().get(0);
        assertThat(state).isEqualTo("as calibrated");
        assertThat(s.window()).isEqualTo(400);
        assertThat(s.verified()).isEqualTo(500);
        assertThat(s.disagreement()).isCloseTo(0.03, within(1e-9));
        assertThat(s.calibrated()).isEqualTo(0.03);
    }

    @Test
    void driftIsAnExactBinomialTestAtFiveInTenThousand() {
        // tails computed apart (log-gamma sums): P(X >= 25 | 250, 3 %) = 2.0e-7, P(X >= 80 | 2000, 3 %) = 0.0070,
        // P(X >= 4 | 250, 0.16 %) = 0.00076, P(X >= 24 | 250, 2.88 %) = 3.6e-7
        assertThat(LiveAgreement.above(25, 250, 0.03)).isTrue();
        assertThat(LiveAgreement.above(80, 2000, 0.03)).isFalse();
        assertThat(LiveAgreement.above(4, 250, 0.0016)).isFalse(); // where a normal interval already cries drift
        assertThat(LiveAgreement.above(24, 250, 0.0288)).isTrue();
        assertThat(LiveAgreement.above(7, 250, 0.03)).isFalse(); // below the rate's own count
        assertThat(LiveAgreement.above(1, 250, 0.0)).isTrue();
    }

    @Test
    void aSuddenDriftIsSeenOnTheNewestSamplesBeforeTheWholeWindowMovesAndCleanNoiseIsNot() {
        LiveAgreement live = new LiveAgreement(Map.of("balanced", CALIBRATED), 2000, 0);
        for (int i = 0; i < 2000; i++) {
            live.record("balanced", i % 100 >= 4); // 4 % differ: above 3 %, within what chance gives
        }
        assertThat(live.driftSpan("balanced")).isZero();
        for (int i = 0; i < 250; i++) {
            live.record("balanced", i % 10 != 0); // then 10 % differ
        }
        // the newest 250 say it first (the shortest span that is sure enough)
        assertThat(live.driftSpan("balanced")).isEqualTo(250);

        live.reset("balanced");
        assertThat(live.of("balanced")).isNull();
        assertThat(live.driftSpan("balanced")).isZero();
    }

    @Test
    void aDriftIsJudgedAgainstWhatTheValidationImagesCouldHaveMeasured() {
        // 3 % of 5,000 validation images: the 95 % interval reaches 3.5 %
        LiveAgreement live = new LiveAgreement(Map.of("balanced", CALIBRATED), 2000, 5000);
        assertThat(live.driftFrom("balanced")).isCloseTo(0.0350, within(5e-4));
        for (int i = 0; i < 1000; i++) {
            live.record("balanced", i % 1000 >= 55); // 5.5 %: 2.4 standard errors above 3.5 %, not 0.05 % sure
        }
        assertThat(live.driftSpan("balanced")).isZero();
        assertThat(new LiveAgreement(Map.of("balanced", CALIBRATED), 2000, 0).driftFrom("balanced"))
                .isEqualTo(0.03);
    }

    @Test
    void aPresetWithoutACalibratedRateIsSaidSo() {
        LiveAgreement live = new LiveAgreement(Map.of(), 100, 0);
        for (int i = 0; i < 100; i++) {
            live.record("fast", true);
        }
        assertThat(live.snapshot().get(0).state()).isEqualTo("not calibrated");
    }
}
