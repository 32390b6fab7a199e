package io.lctserve.runtime.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lctserve.core.exit.Mode;
import io.lctserve.runtime.ExitPlan;
import org.junit.jupiter.api.Test;

class FirstStageDeadlineTest {

    @Test
    void millisecondsAreWrittenWithOneDecimalRounded() {
        assertThat(FirstStageDeadline.millis(0)).isEqualTo("0.0");
        assertThat(FirstStageDeadline.millis(12_345_678)).isEqualTo("12.3");
        assertThat(FirstStageDeadline.millis(49_960_000)).isEqualTo("50.0");
        assertThat(FirstStageDeadline.millis(650_000)).isEqualTo("0.7");
        assertThat(FirstStageDeadline.millis(3_600_000_000_000.0)).isEqualTo("3600000.0");
    }

    @Test
    void aDeadlineTheQueuedWorkWouldMissIsRefusedWithTheNumbersAndNoStackTrace() {
        ExitPlan plan = new ExitPlan(Mode.FULL, null, 2, System.nanoTime() + 60_000_000_000L, false);

        assertThatThrownBy(() -> FirstStageDeadline.refuseIfMissed(plan, 600_000, 72_000_000_000.0))
                .isInstanceOf(DeadlineRefusal.class)
                .hasMessageMatching("the deadline cannot be met: \\d+\\.\\d ms left, about 72000\\.0 ms of queued work"
                        + " and 0\\.6 ms for the first stage")
                .satisfies(e -> assertThat(e.getStackTrace()).isEmpty());
        FirstStageDeadline.refuseIfMissed(plan, 600_000, 1_000_000); // fits: no refusal
    }
}
