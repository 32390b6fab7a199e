package io.lctserve.server.inference;

import io.lctserve.core.manifest.Preset;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.model.LoadedModel;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * Turns a request's {@code parameters} (the per-request knob: mode, threshold or preset,
 * max_stage, deadline_ms) into checked {@link InferenceOptions}, or a 400 that names the problem.
 */
@Component
public class InferenceOptionsResolver {

    static final String MODE = "mode";
    static final String THRESHOLD = "threshold";
    static final String PRESET = "preset";
    static final String MAX_STAGE = "max_stage";
    static final String DEADLINE_MS = "deadline_ms";

    /** Ours, plus parameters the Open Inference Protocol defines for every request. */
    private static final Set<String> KNOWN = Set.of(
            MODE,
            THRESHOLD,
            PRESET,
            MAX_STAGE,
            DEADLINE_MS,
            "content_type",
            "headers",
            "binary_data_output",
            "binary_data",
            "binary_data_size");

    private final LctServeProperties properties;

    public InferenceOptionsResolver(LctServeProperties properties) {
        this.properties = properties;
    }

    /**
     * @param parameters request parameters (JSON values or query strings); may be null
     * @param receivedNanos when the request arrived; a deadline counts from there
     */
    public InferenceOptions resolve(
            LoadedModel model, Map<String, ?> parameters, long receivedNanos, boolean collectHeads) {
        Map<String, ?> p = parameters == null ? Map.of() : parameters;
        for (String key : p.keySet()) {
            if (!KNOWN.contains(key)) {
                throw new InvalidRequestException("unknown parameter '" + key + "'; lctserve reads " + MODE + ", "
                        + THRESHOLD + ", " + PRESET + ", " + MAX_STAGE + " and " + DEADLINE_MS);
            }
        }
        Mode mode = mode(p.get(MODE));
        int last = model.exitCount() - 1;
        Integer maxStage = integer(p.get(MAX_STAGE), MAX_STAGE);
        if (maxStage != null && (maxStage < 0 || maxStage > last)) {
            throw new InvalidRequestException(
                    MAX_STAGE + " " + maxStage + " is out of range: model " + model.name() + " has stages 0.." + last);
        }
        if (mode == Mode.STAGE && maxStage == null) {
            throw new InvalidRequestException("mode stage needs " + MAX_STAGE + " (0.." + last + ")");
        }
        if (mode == Mode.FULL && maxStage != null) {
            throw new InvalidRequestException("mode full runs every stage; use mode stage to stop at " + MAX_STAGE);
        }
        long deadline = InferenceOptions.NO_DEADLINE;
        Double deadlineMs = number(p.get(DEADLINE_MS), DEADLINE_MS);
        if (deadlineMs != null) {
            if (!(deadlineMs > 0) || deadlineMs > 3_600_000) {
                throw new InvalidRequestException(
                        DEADLINE_MS + " must be a number of milliseconds in (0, 3600000], was " + p.get(DEADLINE_MS));
            }
            deadline = receivedNanos + (long) (deadlineMs * 1e6);
        }
        Double threshold = number(p.get(THRESHOLD), THRESHOLD);
        Object preset = p.get(PRESET);
        if (threshold != null && preset != null) {
            throw new InvalidRequestException("give " + THRESHOLD + " or " + PRESET + ", not both");
        }
        if ((threshold != null || preset != null) && mode != Mode.EARLY_EXIT) {
            throw new InvalidRequestException((threshold != null ? THRESHOLD : PRESET)
                    + " applies to mode early_exit only, not " + mode.wireName());
        }
        double[] thresholds;
        String rule;
        if (threshold != null) {
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new InvalidRequestException(THRESHOLD + " must be in [0, 1], was " + p.get(THRESHOLD));
            }
            thresholds = new double[model.exitCount()];
            Arrays.fill(thresholds, threshold);
            rule = "threshold:" + threshold;
        } else if (preset != null) {
            String name = String.valueOf(preset);
            Preset found = model.manifest().presets().get(name);
            if (found == null) {
                throw new InvalidRequestException(
                        "unknown preset '" + name + "' for model " + model.name() + "; it has "
                                + (model.manifest().presets().isEmpty()
                                        ? "no presets"
                                        : model.manifest().presets().keySet().stream()
                                                .sorted()
                                                .collect(Collectors.joining(", "))));
            }
            thresholds =
                    found.thresholds().stream().mapToDouble(Double::doubleValue).toArray();
            rule = "preset:" + name;
        } else {
            Preset fallback = model.manifest().presets().get(properties.defaultPreset());
            if (fallback != null) {
                thresholds = fallback.thresholds().stream()
                        .mapToDouble(Double::doubleValue)
                        .toArray();
                rule = "preset:" + properties.defaultPreset();
            } else {
                thresholds = new double[model.exitCount()];
                Arrays.fill(thresholds, properties.defaultThreshold());
                rule = "threshold:" + properties.defaultThreshold();
            }
        }
        int lastStage = maxStage != null ? maxStage : last;
        return new InferenceOptions(
                mode,
                ExitPolicy.maxSoftmax(thresholds),
                mode == Mode.EARLY_EXIT ? rule : mode.wireName(),
                lastStage,
                deadline,
                collectHeads);
    }

    private static Mode mode(Object value) {
        if (value == null) {
            return Mode.EARLY_EXIT;
        }
        return Mode.fromWire(String.valueOf(value))
                .orElseThrow(() -> new InvalidRequestException("unknown mode '" + value + "'; use "
                        + Arrays.stream(Mode.values()).map(Mode::wireName).collect(Collectors.joining(", "))));
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
                // fall through to the error below
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
