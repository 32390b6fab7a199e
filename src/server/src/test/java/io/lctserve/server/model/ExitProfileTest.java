package io.lctserve.server.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The exit profile on answers drawn from exit-stage mixes like version 4's balanced preset: a stage-0
 * answer costs 0.16 of the full model, a stage-1 one 0.45, a stage-2 one 0.75, the last head's 1.14.
 */
class ExitProfileTest {

    private static final double[] COST = {0.16, 0.45, 0.75, 1.14};
    /** Clean traffic: mostly stage 0, mean 0.2176 (the manifest's balanced: 0.2185). */
    private static final double[] CLEAN = {0.88, 0.07, 0.03, 0.02};
    /** Version 4's balanced on images moved 3 px: mean 0.3047 (measured: 0.300). */
    private static final double[] MOVED = {0.74, 0.12, 0.07, 0.07};

    private static double mean(double[] mix) {
        double m = 0;
        for (int k = 0; k < mix.length; k++) {
            m += mix[k] * COST[k];
        }
        return m;
    }

    private static double draw(SplittableRandom random, double[] mix) {
        double u = random.nextDouble();
        for (int k = 0; k < mix.length - 1; k++) {
            if ((u -= mix[k]) < 0) {
                return COST[k];
            }
        }
        return COST[mix.length - 1];
    }

    /** Records {@code n} answers from {@code mix}; returns the answer (1-based) that revealed a shift, or 0. */
    private static int feed(ExitProfile profile, SplittableRandom random, double[] mix, int n, double expected) {
        for (int i = 1; i <= n; i++) {
            if (profile.record("balanced", draw(random, mix), expected, i) != null) {
                return i;
            }
        }
        return 0;
    }

    @Test
    void cleanTrafficAtTheExpectedDepthNeverShifts() {
        double expected = mean(CLEAN);
        for (long seed = 1; seed <= 20; seed++) {
            ExitProfile profile = new ExitProfile();
            assertThat(feed(profile, new SplittableRandom(seed), CLEAN, 50_000, expected))
                    .as("seed %d", seed)
                    .isZero();
            assertThat(profile.shift()).isNull();
        }
    }

    @Test
    void aSmallDifferenceWithinTheMarginIsNotAShift() {
        // 5 % deeper than expected, as a test set may differ from the split the setting was chosen on
        double[] slightlyDeeper = {0.865, 0.074, 0.033, 0.028};
        assertThat(mean(slightlyDeeper) / mean(CLEAN)).isBetween(1.03, 1.07);
        for (long seed = 1; seed <= 10; seed++) {
            assertThat(feed(new ExitProfile(), new SplittableRandom(seed), slightlyDeeper, 50_000, mean(CLEAN)))
                    .isZero();
        }
    }

    @Test
    void movedImagesShowWithinAThousandAnswers() {
        for (long seed = 1; seed <= 10; seed++) {
            ExitProfile profile = new ExitProfile();
            SplittableRandom random = new SplittableRandom(seed);
            assertThat(feed(profile, random, CLEAN, 5_000, mean(CLEAN))).isZero();
            int at = feed(profile, random, MOVED, 5_000, mean(CLEAN));
            assertThat(at).as("seed %d", seed).isBetween(1, 1000);
            ExitProfile.Shift shift = profile.shift();
            assertThat(shift.direction()).isEqualTo("deeper");
            assertThat(shift.live()).isGreaterThan(1.1 * mean(CLEAN));
            assertThat(shift.preset()).isEqualTo("balanced");
            assertThat(shift.liveSamplesAt()).isEqualTo(at);
            assertThat(profile.snapshot().get(0).moved()).isTrue();
        }
    }

    @Test
    void aShiftIsReportedOnceAndAgainOnlyAfterTheDepthCameBack() {
        double expected = mean(CLEAN);
        ExitProfile profile = new ExitProfile();
        SplittableRandom random = new SplittableRandom(7);
        assertThat(feed(profile, random, MOVED, 2_000, expected)).isPositive();
        long first = profile.shift().id();
        assertThat(feed(profile, random, MOVED, 20_000, expected))
                .as("still moved: no new shift")
                .isZero();
        assertThat(feed(profile, random, CLEAN, 2_000, expected))
                .as("back: settles, no shift")
                .isZero();
        assertThat(profile.snapshot().get(0).moved()).isFalse();
        assertThat(feed(profile, random, MOVED, 2_000, expected)).isPositive();
        assertThat(profile.shift().id()).isEqualTo(first + 1);
    }

    @Test
    void shallowerAnswersAreAShiftToo() {
        // a recalibrated setting expected at 0.35 on moved images, and the clean images come back
        ExitProfile profile = new ExitProfile();
        assertThat(feed(profile, new SplittableRandom(3), CLEAN, 2_000, 0.35)).isBetween(1, 1000);
        assertThat(profile.shift().direction()).isEqualTo("shallower");
    }

    @Test
    void aNewSettingStartsItsWindowAgain() {
        ExitProfile profile = new ExitProfile();
        SplittableRandom random = new SplittableRandom(11);
        assertThat(feed(profile, random, MOVED, 2_000, mean(CLEAN))).isPositive();
        // recalibrated on the moved traffic: expected its own depth there, the old window forgotten
        assertThat(feed(profile, random, MOVED, 20_000, mean(MOVED))).isZero();
        assertThat(profile.snapshot().get(0).moved()).isFalse();
        assertThat(profile.snapshot().get(0).expected()).isEqualTo(mean(MOVED));
    }
}
