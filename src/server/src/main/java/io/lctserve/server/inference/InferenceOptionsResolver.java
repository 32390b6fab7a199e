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
 * Turns a request's {@code parameters} (the per-request knob: mode; an exit rule with its setting,
 * or a preset; max_stage; deadline_ms) into checked {@link InferenceOptions}, or a 400 that names
 * the problem. With neither a setting nor a preset, early exit uses the configured default preset.
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
        Object requestedRule = p.get(RULE);
        if (requestedRule != null && !List.of(MAX_SOFTMAX, ENTROPY, PATIENCE).contains(String.valueOf(requestedRule))) {
            throw new InvalidRequestException(
                    "unknown rule '" + requestedRule + "'; use " + MAX_SOFTMAX + ", " + ENTROPY + " or " + PATIENCE);
        }
        long given = java.util.stream.Stream.of(THRESHOLD, ENTROPY, PATIENCE, PRESET)
                .filter(key -> p.get(key) != null)
                .count();
        if (given > 1) {
            throw new InvalidRequestException(
                    "give one of " + THRESHOLD + ", " + ENTROPY + ", " + PATIENCE + " or " + PRESET + ", not several");
        }
        Preset byDefault = model.manifest().presets().get(properties.defaultPreset());
        boolean defaultFits = requestedRule == null
                || (byDefault != null && byDefault.ruleOrDefault().equals(String.valueOf(requestedRule)));
        if (p.get(PRESET) != null || (given == 0 && defaultFits)) {
            return fromPreset(model, p.get(PRESET), requestedRule, mode, lastStage, deadline, collectHeads);
        }
        String rule = requestedRule != null
                ? String.valueOf(requestedRule)
                : p.get(ENTROPY) != null ? ENTROPY : p.get(PATIENCE) != null ? PATIENCE : MAX_SOFTMAX;
        Map<String, String> ownParameter = Map.of(THRESHOLD, MAX_SOFTMAX, ENTROPY, ENTROPY, PATIENCE, PATIENCE);
        ownParameter.forEach((key, owner) -> {
            if (p.get(key) != null && !owner.equals(rule)) {
                throw new InvalidRequestException(key + " applies to rule " + owner + ", not " + rule);
            }
        });
        ExitPolicy policy;
        String label;
        switch (rule) {
            case ENTROPY -> {
                Double maxEntropy = number(p.get(ENTROPY), ENTROPY);
                if (maxEntropy == null || !(maxEntropy >= 0) || maxEntropy.isInfinite()) {
                    throw new InvalidRequestException("rule entropy needs " + ENTROPY
                            + ": the largest softmax entropy (nats, >= 0) at which a head may answer");
                }
                policy = ExitPolicy.entropy(filled(model, maxEntropy));
                label = "entropy:" + maxEntropy;
            }
            case PATIENCE -> {
                Integer heads = integer(p.get(PATIENCE), PATIENCE);
                if (heads == null || heads < 1 || heads > model.exitCount()) {
                    throw new InvalidRequestException("rule patience needs " + PATIENCE
                            + ": how many consecutive heads must agree (1.." + model.exitCount() + ")");
                }
                policy = ExitPolicy.patience(heads);
                label = "patience:" + heads;
            }
            default -> {
                Double threshold = number(p.get(THRESHOLD), THRESHOLD);
                if (threshold == null) {
                    threshold = properties.defaultThreshold();
                } else if (!(threshold >= 0 && threshold <= 1)) {
                    throw new InvalidRequestException(THRESHOLD + " must be in [0, 1], was " + p.get(THRESHOLD));
                }
                policy = ExitPolicy.maxSoftmax(filled(model, threshold));
                label = "threshold:" + threshold;
            }
        }
        return new InferenceOptions(mode, policy, label, lastStage, deadline, collectHeads);
    }

    /**
     * A manifest preset, named by the request or else the configured default; it carries its own
     * rule. Without the default preset in the manifest, the configured default threshold applies.
     */
    private InferenceOptions fromPreset(
            LoadedModel model,
            Object requested,
            Object requestedRule,
            Mode mode,
            int lastStage,
            long deadline,
            boolean collectHeads) {
        String name = requested != null ? String.valueOf(requested) : properties.defaultPreset();
        Preset preset = model.manifest().presets().get(name);
        if (preset == null && requested != null) {
            throw new InvalidRequestException("unknown preset '" + name + "' for model " + model.name() + "; it has "
                    + (model.manifest().presets().isEmpty()
                            ? "no presets"
                            : model.manifest().presets().keySet().stream()
                                    .sorted()
                                    .collect(Collectors.joining(", "))));
        }
        if (preset == null) {
            return new InferenceOptions(
                    mode,
                    ExitPolicy.maxSoftmax(filled(model, properties.defaultThreshold())),
                    "threshold:" + properties.defaultThreshold(),
                    lastStage,
                    deadline,
                    collectHeads);
        }
        String rule = preset.ruleOrDefault();
        if (requestedRule != null && !rule.equals(String.valueOf(requestedRule))) {
            throw new InvalidRequestException("preset '" + name + "' uses rule " + rule + ", not " + requestedRule
                    + "; leave out " + RULE + " or name a preset of rule " + requestedRule);
        }
        ExitPolicy policy =
                switch (rule) {
                    case Preset.ENTROPY -> ExitPolicy.entropy(values(preset));
                    case Preset.PATIENCE -> ExitPolicy.patience(preset.patience());
                    default -> ExitPolicy.maxSoftmax(values(preset));
                };
        return new InferenceOptions(mode, policy, "preset:" + name, lastStage, deadline, collectHeads);
    }

    private static double[] values(Preset preset) {
        return preset.thresholds().stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double[] filled(LoadedModel model, double value) {
        double[] perHead = new double[model.exitCount()];
        Arrays.fill(perHead, value);
        return perHead;
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
