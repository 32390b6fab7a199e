package io.lctserve.server.inference;

import io.lctserve.core.exit.Mode;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-request knob as the client gave it, typed but not yet checked against a model (that is
 * {@link KnobResolver}'s job). Every field is null when the request left it out.
 *
 * @param mode how to walk the stages (null: early exit)
 * @param rule early exit's rule by name: max_softmax, entropy or patience
 * @param threshold max_softmax: the confidence every head must reach
 * @param entropy entropy: the softmax entropy (nats) a head must stay below
 * @param patience patience: how many consecutive heads must agree
 * @param preset a calibrated setting of the model's manifest
 * @param maxDisagreement the share of answers that may differ from the last head's on current
 *     traffic: the cheapest preset whose live-verified interval meets it (see {@link Contract})
 * @param maxStage deepest stage to run, 0-based
 * @param deadlineMs latency budget in milliseconds, counted from the request's arrival
 * @param priority Triton's request priority: 1 is the highest, 0 the server's default level
 */
public record Knob(
        Mode mode,
        String rule,
        Double threshold,
        Double entropy,
        Integer patience,
        String preset,
        Double maxDisagreement,
        Integer maxStage,
        Double deadlineMs,
        Integer priority) {

    // The knob's names on the wire, in V2 parameters and v1 query strings alike.
    public static final String MODE = "mode";
    public static final String RULE = "rule";
    public static final String THRESHOLD = "threshold";
    public static final String ENTROPY = "entropy";
    public static final String PATIENCE = "patience";
    public static final String PRESET = "preset";
    public static final String MAX_DISAGREEMENT = "max_disagreement";
    public static final String MAX_STAGE = "max_stage";
    public static final String DEADLINE_MS = "deadline_ms";
    public static final String PRIORITY = "priority";

    /** A request that left every setting to the server. */
    public static final Knob DEFAULT = new Knob(null, null, null, null, null, null, null, null, null, null);

    public Mode modeOrDefault() {
        return mode == null ? Mode.EARLY_EXIT : mode;
    }

    /**
     * The early-exit settings the request gave, by wire name: rule, threshold, entropy, patience,
     * preset, max_disagreement.
     */
    public List<String> exitSettings() {
        List<String> given = new ArrayList<>();
        Object[] values = {rule, threshold, entropy, patience, preset, maxDisagreement};
        String[] names = {RULE, THRESHOLD, ENTROPY, PATIENCE, PRESET, MAX_DISAGREEMENT};
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                given.add(names[i]);
            }
        }
        return given;
    }
}
