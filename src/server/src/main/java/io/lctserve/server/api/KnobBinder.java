package io.lctserve.server.api;

import static io.lctserve.server.inference.Knob.DEADLINE_MS;
import static io.lctserve.server.inference.Knob.ENTROPY;
import static io.lctserve.server.inference.Knob.MAX_STAGE;
import static io.lctserve.server.inference.Knob.MODE;
import static io.lctserve.server.inference.Knob.PATIENCE;
import static io.lctserve.server.inference.Knob.PRESET;
import static io.lctserve.server.inference.Knob.PRIORITY;
import static io.lctserve.server.inference.Knob.RULE;
import static io.lctserve.server.inference.Knob.THRESHOLD;

import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.Mode;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.inference.Knob;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Binds a request's parameters, V2 JSON values or v1 query strings, into a {@link Knob}: the one
 * place that knows the knob's names and types, and refuses names it does not know.
 */
public final class KnobBinder {

    private static final List<String> KNOB =
            List.of(MODE, RULE, THRESHOLD, PRESET, ENTROPY, PATIENCE, MAX_STAGE, DEADLINE_MS, PRIORITY);

    /** Parameters the Open Inference Protocol defines for every request; they do not steer the model. */
    private static final Set<String> PROTOCOL =
            Set.of("content_type", "headers", "binary_data_output", "binary_data", "binary_data_size");

    /** Triton's request timeout in microseconds: the latency budget when {@code deadline_ms} is not given. */
    static final String TIMEOUT = "timeout";

    private KnobBinder() {}

    /** @param parameters may be null; a null value counts as left out */
    public static Knob bind(Map<String, ?> parameters) {
        if (parameters == null || parameters.isEmpty()) {
            return Knob.DEFAULT;
        }
        for (String name : parameters.keySet()) {
            if (!KNOB.contains(name) && !PROTOCOL.contains(name) && !name.equals(TIMEOUT)) {
                throw new InvalidRequestException("unknown parameter '" + name + "'; lctserve reads "
                        + String.join(", ", KNOB.subList(0, KNOB.size() - 1)) + " and " + KNOB.get(KNOB.size() - 1));
            }
        }
        return new Knob(
                mode(parameters.get(MODE)),
                rule(parameters.get(RULE)),
                number(parameters.get(THRESHOLD), THRESHOLD),
                number(parameters.get(ENTROPY), ENTROPY),
                integer(parameters.get(PATIENCE), PATIENCE),
                text(parameters.get(PRESET)),
                integer(parameters.get(MAX_STAGE), MAX_STAGE),
                deadlineMs(parameters),
                integer(parameters.get(PRIORITY), PRIORITY));
    }

    private static Double deadlineMs(Map<String, ?> parameters) {
        Double deadline = number(parameters.get(DEADLINE_MS), DEADLINE_MS);
        Double timeout = number(parameters.get(TIMEOUT), TIMEOUT);
        if (deadline != null || timeout == null) {
            return deadline;
        }
        if (!(timeout > 0)) {
            throw new InvalidRequestException(
                    TIMEOUT + " must be a number of microseconds > 0, was " + describe(timeout));
        }
        return timeout / 1000.0;
    }

    private static Mode mode(Object value) {
        if (value == null) {
            return null;
        }
        return Mode.fromWire(String.valueOf(value))
                .orElseThrow(
                        () -> new InvalidRequestException("unknown mode '" + value + "'; use " + Mode.wireNames()));
    }

    private static String rule(Object value) {
        String rule = text(value);
        if (rule != null
                && !List.of(ExitRule.MAX_SOFTMAX, ExitRule.ENTROPY, ExitRule.PATIENCE)
                        .contains(rule)) {
            throw new InvalidRequestException("unknown rule '" + rule + "'; use " + ExitRule.NAMES);
        }
        return rule;
    }

    private static String text(Object value) {
        return value == null ? null : String.valueOf(value);
    }

    private static Double number(Object value, String name) {
        if (value == null) {
            return null;
        }
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                // falls through to the error below
            }
        }
        throw new InvalidRequestException(name + " must be a number, was " + describe(value));
    }

    private static Integer integer(Object value, String name) {
        Double d = number(value, name);
        if (d == null) {
            return null;
        }
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new InvalidRequestException(name + " must be a whole number, was " + describe(value));
        }
        return d.intValue();
    }

    private static String describe(Object value) {
        return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
    }
}
