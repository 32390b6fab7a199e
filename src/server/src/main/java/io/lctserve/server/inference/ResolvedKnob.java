package io.lctserve.server.inference;

import io.lctserve.runtime.ExitPlan;

/**
 * A knob checked against a model.
 *
 * @param plan what the runtime will do
 * @param rule what decided, as responses report it: the mode, {@code preset:balanced}, {@code threshold:0.9} ...
 * @param priority the request's place in the batching queues: lower runs first
 */
public record ResolvedKnob(ExitPlan plan, String rule, int priority) {}
