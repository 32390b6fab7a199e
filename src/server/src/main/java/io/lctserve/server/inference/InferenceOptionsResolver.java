package io.lctserve.server.inference;

import io.lctserve.core.manifest.Preset;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.model.LoadedModel;
import java.util.Arrays;
import java.util.List;
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
    static final String RULE = "rule";
    static final String ENTROPY = "entropy";
    static final String PATIENCE = "patience";
    static final String MAX_SOFTMAX = "max_softmax";

    /** Ours, plus parameters the Open Inference Protocol defines for every request. */
    private static final Set<String> KNOWN = Set.of(
            MODE,
            THRESHOLD,
            PRESET,
            MAX_STAGE,
            DEADLINE_MS,
            RULE,
            ENTROPY,
            PATIENCE,
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
                        + RULE + ", " + THRESHOLD + ", " + PRESET + ", " + ENTROPY + ", " + PATIENCE + ", " + MAX_STAGE
                        + " and " + DEADLINE_MS);
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
        int lastStage = maxStage != null ? maxStage : last;
        if (mode != Mode.EARLY_EXIT) {
            for (String key : List.of(RULE, THRESHOLD, PRESET, ENTROPY, PATIENCE)) {
                if (p.get(key) != null) {
                    throw new InvalidRequestException(key + " applies to mode early_exit only, not " + mode.wireName());
                }
            }
            return new InferenceOptions(mode, null, mode.wireName(), lastStage, deadline, collectHeads);
        }
        String rule = p.get(RULE) == null ? MAX_SOFTMAX : String.valueOf(p.get(RULE));
        Map<String, String> ownParameter =
                Map.of(THRESHOLD, MAX_SOFTMAX, PRESET, MAX_SOFTMAX, ENTROPY, ENTROPY, PATIENCE, PATIENCE);
        if (!List.of(MAX_SOFTMAX, ENTROPY, PATIENCE).contains(rule)) {
            throw new InvalidRequestException(
                    "unknown rule '" + rule + "'; use " + MAX_SOFTMAX + ", " + ENTROPY + " or " + PATIENCE);
        }
        ownParameter.forEach((key, owner) -> {
            if (p.get(key) != null && !owner.equals(rule)) {
                throw new InvalidRequestException(key + " applies to rule " + owner + ", not " + rule);
            }
        });
        return switch (rule) {
            case ENTROPY -> {
                Double maxEntropy = number(p.get(ENTROPY), ENTROPY);
                if (maxEntropy == null || !(maxEntropy >= 0)) {
                    throw new InvalidRequestException("rule entropy needs " + ENTROPY
                            + ": the largest softmax entropy (nats, >= 0) at which a head may answer");
                }
                yield new InferenceOptions(
                        mode,
                        ExitPolicy.entropy(maxEntropy),
                        "entropy:" + maxEntropy,
                        lastStage,
                        deadline,
                        collectHeads);
            }
            case PATIENCE -> {
                Integer heads = integer(p.get(PATIENCE), PATIENCE);
                if (heads == null || heads < 1 || heads > model.exitCount()) {
                    throw new InvalidRequestException("rule patience needs " + PATIENCE
                            + ": how many consecutive heads must agree (1.." + model.exitCount() + ")");
                }
                yield new InferenceOptions(
                        mode, ExitPolicy.patience(heads), "patience:" + heads, lastStage, deadline, collectHeads);
            }
            default -> maxSoftmax(model, p, mode, lastStage, deadline, collectHeads);
        };
    }

    /** The paper's rule, with thresholds from the request, a preset, or the configured default. */
    private InferenceOptions maxSoftmax(
            LoadedModel model, Map<String, ?> p, Mode mode, int lastStage, long deadline, boolean collectHeads) {
        Double threshold = number(p.get(THRESHOLD), THRESHOLD);
        Object preset = p.get(PRESET);
        if (threshold != null && preset != null) {
            throw new InvalidRequestException("give " + THRESHOLD + " or " + PRESET + ", not both");
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
        } else {
            String name = preset != null ? String.valueOf(preset) : properties.defaultPreset();
            Preset found = model.manifest().presets().get(name);
            if (found == null && preset != null) {
                throw new InvalidRequestException(
                        "unknown preset '" + name + "' for model " + model.name() + "; it has "
                                + (model.manifest().presets().isEmpty()
                                        ? "no presets"
                                        : model.manifest().presets().keySet().stream()
                                                .sorted()
                                                .collect(Collectors.joining(", "))));
            }
            if (found != null) {
                thresholds = found.thresholds().stream()
                        .mapToDouble(Double::doubleValue)
                        .toArray();
                rule = "preset:" + name;
            } else {
                thresholds = new double[model.exitCount()];
                Arrays.fill(thresholds, properties.defaultThreshold());
                rule = "threshold:" + properties.defaultThreshold();
            }
        }
        return new InferenceOptions(mode, ExitPolicy.maxSoftmax(thresholds), rule, lastStage, deadline, collectHeads);
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
