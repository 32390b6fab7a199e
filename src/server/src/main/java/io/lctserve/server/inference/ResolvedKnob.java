package io.lctserve.server.inference;

import io.lctserve.runtime.ExitPlan;

/**
 * A knob checked against a model.
 *
 * @param plan what the runtime will do
 * @param rule what decided, as responses report it: the mode, {@code preset:balanced}, {@code threshold:0.9} ...
 * @param priority the request's place in the batching queues: lower runs first
 * @param preset the preset whose early answers these are (what shadow verification checks), or null
 * @param contract how a {@code max_disagreement} was met, or null when the request gave none
 */
public record ResolvedKnob(ExitPlan plan, String rule, int priority, String preset, Contract contract) {

    public ResolvedKnob(ExitPlan plan, String rule, int priority) {
        this(plan, rule, priority, null, null);
    }
}
