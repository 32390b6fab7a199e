package io.lctserve.server.protocol;

import static io.lctserve.server.inference.Knob.DEADLINE_MS;
import static io.lctserve.server.inference.Knob.ENTROPY;
import static io.lctserve.server.inference.Knob.MAX_DISAGREEMENT;
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
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Binds a request's parameters, V2 JSON values or v1 query strings, into a {@link Knob}: the one
 * place that knows the knob's names and types, and refuses names it does not know.
 */
public final class KnobBinder {

    private static final List<String> KNOB = List.of(
            MODE, RULE, THRESHOLD, PRESET, ENTROPY, PATIENCE, MAX_DISAGREEMENT, MAX_STAGE, DEADLINE_MS, PRIORITY);

    /** Triton's request option for binary outputs (every output, unless an output says otherwise). */
    public static final String BINARY_DATA_OUTPUT = "binary_data_output";

    /** Parameters the Open Inference Protocol defines for every request; they do not steer the model. */
    private static final Set<String> PROTOCOL =
            Set.of("content_type", "headers", BINARY_DATA_OUTPUT, "binary_data", "binary_data_size");

    /** Triton's request timeout in microseconds: the latency budget when {@code deadline_ms} is not given. */
    static final String TIMEOUT = "timeout";

    /** A streamed request's wish for one answer per head consulted, not only the final one. */
    public static final String PROGRESSIVE = "progressive";

    /** Progressive answers: the pause after each answer before the next stage, time to stop the stream. */
    public static final String PROGRESSIVE_PAUSE_MS = "progressive_pause_ms";

    private static final double MAX_PAUSE_MS = 1000;

    private KnobBinder() {}

    /**
     * A knob read from an Open Inference Protocol request, and the names it ignored.
     *
     * @param ignored request parameters lctserve does not read, in the order given
     * @param progressive the request's {@code progressive} flag, null when not given
     * @param pauseMs the request's {@code progressive_pause_ms}, null when not given
     */
    public record Bound(Knob knob, List<String> ignored, Boolean progressive, Double pauseMs) {}

    /**
     * The knob of a V2 or gRPC request. lctserve's own names are read strictly; other names
     * (Triton's sequence options, a client's own) are ignored, as Triton ignores what its backend does
     * not read, and returned so the answer can list them; a name within two edits of one lctserve
     * reads is taken for a misspelling and refused.
     */
    public static Bound bindProtocol(Map<String, ?> parameters) {
        if (parameters == null || parameters.isEmpty()) {
            return new Bound(Knob.DEFAULT, List.of(), null, null);
        }
        List<String> read = new ArrayList<>(KNOB);
        read.add(TIMEOUT);
        read.add(BINARY_DATA_OUTPUT);
        read.add(PROGRESSIVE);
        read.add(PROGRESSIVE_PAUSE_MS);
        List<String> ignored = ignored(parameters.keySet(), read, "");
        Map<String, Object> known = new LinkedHashMap<>(parameters);
        known.keySet().removeAll(ignored);
        Object progressive = known.remove(PROGRESSIVE);
        if (progressive != null && !(progressive instanceof Boolean)) {
            throw new InvalidRequestException(PROGRESSIVE + " must be true or false, was " + describe(progressive));
        }
        Double pause = number(known.remove(PROGRESSIVE_PAUSE_MS), PROGRESSIVE_PAUSE_MS);
        if (pause != null && !(pause >= 0 && pause <= MAX_PAUSE_MS)) {
            throw new InvalidRequestException(PROGRESSIVE_PAUSE_MS + " must be a number of milliseconds in [0, "
                    + (int) MAX_PAUSE_MS + "], was " + describe(pause));
        }
        return new Bound(bind(known), ignored, (Boolean) progressive, pause);
    }

    /**
     * The names among {@code given} that are not in {@code read}: ignored, unless one is a
     * misspelling of a name in {@code read} (the same but for case, '-' or '_', or within two edits),
     * which is refused.
     *
     * @param where where the names were, for the message ("" for the request, or "on output 'x'")
     */
    public static List<String> ignored(Collection<String> given, List<String> read, String where) {
        List<String> ignored = new ArrayList<>();
        for (String name : given) {
            if (read.contains(name)) {
                continue;
            }
            for (String meant : read) {
                if (misspelt(name, meant)) {
                    throw new InvalidRequestException(
                            "unknown parameter '" + name + "'" + (where.isEmpty() ? "" : " " + where)
                                    + "; did you mean '" + meant + "'? lctserve reads " + String.join(", ", read));
                }
            }
            ignored.add(name);
        }
        return ignored;
    }

    private static boolean misspelt(String name, String meant) {
        String a = name.toLowerCase(Locale.ROOT).replaceAll("[-_ ]", "");
        String b = meant.toLowerCase(Locale.ROOT).replaceAll("[-_ ]", "");
        return a.equals(b) || (Math.min(a.length(), b.length()) >= 4 && edits(a, b) <= 2);
    }

    /** Levenshtein distance. */
    private static int edits(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * lctserve's own endpoints: every name must be one lctserve reads (or the protocol's).
     *
     * @param parameters may be null; a null value counts as left out
     */
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
                number(parameters.get(MAX_DISAGREEMENT), MAX_DISAGREEMENT),
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
