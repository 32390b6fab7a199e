package io.lctserve.core.exit;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** How an inference walks the stages of a staged model. */
public enum Mode {
    /** Each head's answer is offered to the exit rule; the first head it accepts answers, else the last one run. */
    EARLY_EXIT,
    /** Every head runs and the answer is the average of their probabilities. */
    ENSEMBLE,
    /** Every stage runs and only the last head answers: the full model. */
    FULL,
    /** Stages 0..max_stage run and head max_stage answers: a smaller standalone model. */
    STAGE;

    /** The name requests use, e.g. {@code early_exit}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Mode> fromWire(String name) {
        return Arrays.stream(values()).filter(m -> m.wireName().equals(name)).findFirst();
    }

    /** {@code early_exit, ensemble, full, stage}, for messages. */
    public static String wireNames() {
        return Arrays.stream(values()).map(Mode::wireName).collect(Collectors.joining(", "));
    }

    /**
     * Whether every head up to the answering one runs: early exit reads each to decide, the
     * ensemble averages them. The other modes run only the answering head.
     */
    public boolean consultsEveryHead() {
        return this == EARLY_EXIT || this == ENSEMBLE;
    }
}
