package io.lctserve.server.inference;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How a request walks the stages. */
public enum Mode {
    /** Answer at the first head whose confidence clears its threshold; the last head answers otherwise. */
    EARLY_EXIT,
    /** Run every head and answer with the average of their probabilities. */
    ENSEMBLE,
    /** Run every stage and answer with the last head only: the full model. */
    FULL,
    /** Run stages 0..max_stage and answer with head max_stage: a smaller standalone model. */
    STAGE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Mode> fromWire(String s) {
        return Arrays.stream(values()).filter(m -> m.wireName().equals(s)).findFirst();
    }
}
