package io.lctserve.core.exit;

import io.lctserve.core.manifest.Preset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/** Reads an exit rule from a manifest preset, and says what is wrong with one that does not describe a rule. */
final class PresetForm {

    private PresetForm() {}

    /** The rule a manifest preset describes; {@link #problems} must have found none. */
    static ExitRule rule(Preset preset) {
        String rule = preset.rule() == null ? ExitRule.MAX_SOFTMAX : preset.rule();
        return switch (rule) {
            case ExitRule.MAX_SOFTMAX -> new ExitRule.MaxSoftmax(values(preset.thresholds()));
            case ExitRule.ENTROPY -> new ExitRule.Entropy(values(preset.entropy()));
            case ExitRule.PATIENCE -> new ExitRule.Patience(preset.patience());
            default -> throw new IllegalArgumentException("unknown rule '" + rule + "'; use " + ExitRule.NAMES);
        };
    }

    /** What is wrong with a manifest preset's rule and setting for a model of {@code heads} heads. */
    static List<RuleProblem> problems(Preset preset, int heads) {
        List<RuleProblem> problems = new ArrayList<>();
        String rule = preset.rule() == null ? ExitRule.MAX_SOFTMAX : preset.rule();
        switch (rule) {
            case ExitRule.MAX_SOFTMAX -> {
                unexpected(problems, rule, "entropy", preset.entropy());
                unexpected(problems, rule, "patience", preset.patience());
                perHead(problems, "thresholds", preset.thresholds(), heads, ExitRule.MaxSoftmax::problem);
            }
            case ExitRule.ENTROPY -> {
                unexpected(problems, rule, "thresholds", preset.thresholds());
                unexpected(problems, rule, "patience", preset.patience());
                perHead(problems, "entropy", preset.entropy(), heads, ExitRule.Entropy::problem);
            }
            case ExitRule.PATIENCE -> {
                unexpected(problems, rule, "thresholds", preset.thresholds());
                unexpected(problems, rule, "entropy", preset.entropy());
                String problem = ExitRule.Patience.problem(preset.patience(), heads);
                if (problem != null) {
                    problems.add(new RuleProblem("patience", problem));
                }
            }
            default -> problems.add(new RuleProblem("rule", "unknown rule '" + rule + "'; use " + ExitRule.NAMES));
        }
        return problems;
    }

    private static void unexpected(List<RuleProblem> problems, String rule, String field, Object value) {
        if (value != null) {
            problems.add(new RuleProblem(field, "rule " + rule + " takes no " + field));
        }
    }

    private static void perHead(
            List<RuleProblem> problems, String field, List<Double> values, int heads, DoubleFunction<String> check) {
        if (values == null || values.size() != heads) {
            problems.add(new RuleProblem(
                    field, "needs one value per head (" + heads + "), found " + (values == null ? 0 : values.size())));
            return;
        }
        for (int k = 0; k < heads; k++) {
            Double v = values.get(k);
            String problem = v == null ? "missing" : check.apply(v);
            if (problem != null) {
                problems.add(new RuleProblem(field + "[" + k + "]", problem));
            }
        }
    }

    private static double[] values(List<Double> list) {
        return list.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
