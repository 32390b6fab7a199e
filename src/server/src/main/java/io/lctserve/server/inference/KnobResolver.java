package io.lctserve.server.inference;

import static io.lctserve.server.inference.Knob.DEADLINE_MS;
import static io.lctserve.server.inference.Knob.ENTROPY;
import static io.lctserve.server.inference.Knob.MAX_DISAGREEMENT;
import static io.lctserve.server.inference.Knob.MAX_STAGE;
import static io.lctserve.server.inference.Knob.PATIENCE;
import static io.lctserve.server.inference.Knob.PRESET;
import static io.lctserve.server.inference.Knob.PRIORITY;
import static io.lctserve.server.inference.Knob.RULE;
import static io.lctserve.server.inference.Knob.THRESHOLD;

import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.Mode;
import io.lctserve.core.manifest.Preset;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.model.LiveAgreement;
import io.lctserve.server.model.LoadedModel;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * Decides what a request's knob means for one model: the stages to run, the exit rule and the
 * deadline, or a 400 that names the problem. A request without a setting gets the configured
 * default preset, or the default threshold for a model without that preset; one with
 * {@code max_disagreement} gets the cheapest preset that live traffic has verified within it
 * ({@link Contract}).
 */
@Component
public class KnobResolver {

    private static final long MAX_DEADLINE_MS = 3_600_000;

    private final LctServeProperties properties;

    public KnobResolver(LctServeProperties properties) {
        this.properties = properties;
    }

    /**
     * @param receivedNanos when the request arrived: a deadline counts from there
     * @param callDeadlineNanos the transport's own deadline for the call, or {@link ExitPlan#NO_DEADLINE}:
     *     the latency budget when the knob gives none
     */
    public ResolvedKnob resolve(
            LoadedModel model, Knob knob, long receivedNanos, long callDeadlineNanos, InferenceCall.Detail detail) {
        Mode mode = knob.modeOrDefault();
        int lastStage = lastStage(model, knob, mode);
        long deadline = knob.deadlineMs() == null ? callDeadlineNanos : deadline(knob, receivedNanos);
        boolean keepHeads = detail == InferenceCall.Detail.EVERY_HEAD;
        int priority = priority(knob);
        if (mode != Mode.EARLY_EXIT) {
            if (!knob.exitSettings().isEmpty()) {
                throw new InvalidRequestException(
                        knob.exitSettings().get(0) + " applies to mode early_exit only, not " + mode.wireName());
            }
            return new ResolvedKnob(
                    new ExitPlan(mode, null, lastStage, deadline, keepHeads), mode.wireName(), priority);
        }
        if (knob.exitSettings().stream().filter(name -> !name.equals(RULE)).count() > 1) {
            throw new InvalidRequestException("give one of " + THRESHOLD + ", " + ENTROPY + ", " + PATIENCE + ", "
                    + PRESET + " or " + MAX_DISAGREEMENT + ", not several");
        }
        if (knob.maxDisagreement() != null) {
            return contract(model, knob, deadline, keepHeads, priority);
        }
        Choice choice = rule(model, knob);
        if (choice.preset != null && model.dearerThanFull(choice.preset)) {
            // full mode gives the answer such a setting is held to, for less compute
            return new ResolvedKnob(
                    new ExitPlan(Mode.FULL, null, lastStage, deadline, keepHeads),
                    choice.label + ":" + Mode.FULL.wireName(),
                    priority,
                    choice.preset,
                    null);
        }
        return new ResolvedKnob(
                new ExitPlan(mode, choice.rule, lastStage, deadline, keepHeads),
                choice.label,
                priority,
                choice.preset,
                null);
    }

    /**
     * {@code max_disagreement}: the cheapest preset (of {@code rule}, when given) whose live window
     * holds at least {@link LiveAgreement#MINIMUM} verified samples and whose 95 % upper bound on the
     * share differing from the last head is at most the request's; otherwise the last head. Every
     * such request while no preset qualifies, and a verification-fraction share of the others, runs
     * every head and is answered by the last one, so that shadow verification counts what every
     * preset would have answered (with verification off, or no presets, the last head answers in
     * full mode).
     */
    private ResolvedKnob contract(LoadedModel model, Knob knob, long deadline, boolean keepHeads, int priority) {
        double allowed = knob.maxDisagreement();
        if (!(allowed > 0 && allowed < 1)) {
            throw new InvalidRequestException(MAX_DISAGREEMENT
                    + " must be a fraction of answers in (0, 1) that may differ from the last head's, was "
                    + format(allowed));
        }
        if (knob.maxStage() != null) {
            throw new InvalidRequestException(MAX_DISAGREEMENT + " is measured against the last head; leave out "
                    + MAX_STAGE + " (or give a " + PRESET + " or " + THRESHOLD + " with it)");
        }
        if (knob.rule() != null
                && model.manifest().presets().values().stream()
                        .noneMatch(p -> ruleOf(p).equals(knob.rule()))) {
            throw new InvalidRequestException(
                    "model " + model.name() + " has no preset of rule " + knob.rule() + " to meet " + MAX_DISAGREEMENT);
        }
        int last = model.exitCount() - 1;
        String best = null;
        double bestCost = Double.MAX_VALUE;
        LiveAgreement.Snapshot bestLive = null;
        Map<String, LoadedModel.Recalibrated> recalibrated = model.recalibrated();
        for (Map.Entry<String, Preset> e : model.manifest().presets().entrySet()) {
            Preset p = e.getValue();
            if ((knob.rule() != null && !ruleOf(p).equals(knob.rule())) || model.preset(e.getKey()) == null) {
                continue;
            }
            LiveAgreement.Snapshot live = model.live().of(e.getKey());
            LoadedModel.Recalibrated set = recalibrated.get(e.getKey());
            double cost = set != null ? set.macsFraction() : p.meanMacsFraction() != null ? p.meanMacsFraction() : 1;
            if (live != null
                    && live.window() >= LiveAgreement.MINIMUM
                    && live.upper() <= allowed
                    && (cost < bestCost || (cost == bestCost && e.getKey().compareTo(best) < 0))) {
                best = e.getKey();
                bestCost = cost;
                bestLive = live;
            }
        }
        LctServeProperties.Verification verification = properties.verification();
        boolean verifying = verification.enabled()
                && verification.fraction() > 0
                && !model.manifest().presets().isEmpty();
        String label = MAX_DISAGREEMENT + ":" + format(allowed);
        if (best != null && !(verifying && ThreadLocalRandom.current().nextDouble() < verification.fraction())) {
            return new ResolvedKnob(
                    new ExitPlan(Mode.EARLY_EXIT, model.preset(best), last, deadline, keepHeads),
                    label + ":" + PRESET + ":" + best,
                    priority,
                    best,
                    new Contract(allowed, best, bestLive, false, null));
        }
        String why = model.manifest().presets().isEmpty()
                ? "model " + model.name() + " has no presets"
                : best == null ? Contract.THIN : Contract.SAMPLE;
        if (!verifying) {
            return new ResolvedKnob(
                    new ExitPlan(Mode.FULL, null, last, deadline, keepHeads),
                    label + ":last_head",
                    priority,
                    null,
                    new Contract(allowed, null, null, false, why));
        }
        // No head but the last can pass patience of one more head than the model has.
        ExitRule lastHeadOnly = new ExitRule.Patience(model.exitCount() + 1);
        return new ResolvedKnob(
                new ExitPlan(Mode.EARLY_EXIT, lastHeadOnly, last, deadline, true),
                label + ":last_head",
                priority,
                null,
                new Contract(allowed, null, null, true, why));
    }

    private static String ruleOf(Preset p) {
        return p.rule() != null ? p.rule() : ExitRule.MAX_SOFTMAX;
    }

    /** Triton's convention: 1 is the highest priority, 0 (or none) the server's default level. */
    private int priority(Knob knob) {
        Integer p = knob.priority();
        if (p == null || p == 0) {
            return properties.batching().defaultPriority();
        }
        if (p < 0) {
            throw new InvalidRequestException(
                    PRIORITY + " must be a whole number >= 0 (1 is the highest, 0 the default), was " + p);
        }
        return p;
    }

    private static int lastStage(LoadedModel model, Knob knob, Mode mode) {
        int last = model.exitCount() - 1;
        Integer maxStage = knob.maxStage();
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
        return maxStage != null ? maxStage : last;
    }

    private static long deadline(Knob knob, long receivedNanos) {
        Double ms = knob.deadlineMs();
        if (ms == null) {
            return ExitPlan.NO_DEADLINE;
        }
        if (!(ms > 0) || ms > MAX_DEADLINE_MS) {
            throw new InvalidRequestException(DEADLINE_MS + " must be a number of milliseconds in (0, "
                    + MAX_DEADLINE_MS + "], was " + format(ms));
        }
        return receivedNanos + (long) (ms * 1e6);
    }

    /** An exit rule, how responses name where it came from, and its preset's name if a preset gave it. */
    private record Choice(ExitRule rule, String label, String preset) {

        Choice(ExitRule rule, String label) {
            this(rule, label, null);
        }
    }

    private Choice rule(LoadedModel model, Knob knob) {
        if (knob.preset() != null) {
            return preset(model, knob.preset(), knob.rule());
        }
        int heads = model.exitCount();
        if (knob.threshold() != null) {
            requireRule(knob, ExitRule.MAX_SOFTMAX, THRESHOLD);
            check(THRESHOLD, ExitRule.MaxSoftmax.problem(knob.threshold()));
            return new Choice(
                    ExitRule.MaxSoftmax.everyHead(heads, knob.threshold()), THRESHOLD + ":" + format(knob.threshold()));
        }
        if (knob.entropy() != null) {
            requireRule(knob, ExitRule.ENTROPY, ENTROPY);
            check(ENTROPY, ExitRule.Entropy.problem(knob.entropy()));
            return new Choice(
                    ExitRule.Entropy.everyHead(heads, knob.entropy()), ENTROPY + ":" + format(knob.entropy()));
        }
        if (knob.patience() != null) {
            requireRule(knob, ExitRule.PATIENCE, PATIENCE);
            check(PATIENCE, ExitRule.Patience.problem(knob.patience(), heads));
            return new Choice(new ExitRule.Patience(knob.patience()), PATIENCE + ":" + knob.patience());
        }
        return byDefault(model, knob.rule());
    }

    /** No setting given: the default preset when it fits the requested rule, else the rule's own default. */
    private Choice byDefault(LoadedModel model, String rule) {
        ExitRule preset = model.preset(properties.defaultPreset());
        if (preset != null && (rule == null || preset.wireName().equals(rule))) {
            return new Choice(preset, PRESET + ":" + properties.defaultPreset(), properties.defaultPreset());
        }
        if (rule == null || rule.equals(ExitRule.MAX_SOFTMAX)) {
            double t = properties.defaultThreshold();
            return new Choice(ExitRule.MaxSoftmax.everyHead(model.exitCount(), t), THRESHOLD + ":" + format(t));
        }
        String setting = rule.equals(ExitRule.ENTROPY) ? ENTROPY : PATIENCE;
        throw new InvalidRequestException("rule " + rule + " needs " + setting
                + (rule.equals(ExitRule.ENTROPY)
                        ? ": the softmax entropy (nats) below which a head may answer"
                        : ": how many consecutive heads must agree (1.." + model.exitCount() + ")"));
    }

    private static Choice preset(LoadedModel model, String name, String rule) {
        ExitRule exitRule = model.preset(name);
        if (exitRule == null) {
            throw new InvalidRequestException("unknown preset '" + name + "' for model " + model.name() + "; it has "
                    + (model.manifest().presets().isEmpty()
                            ? "no presets"
                            : model.manifest().presets().keySet().stream()
                                    .sorted()
                                    .collect(Collectors.joining(", "))));
        }
        if (rule != null && !exitRule.wireName().equals(rule)) {
            throw new InvalidRequestException("preset '" + name + "' uses rule " + exitRule.wireName() + ", not " + rule
                    + "; leave out " + RULE + " or name a preset of rule " + rule);
        }
        return new Choice(exitRule, PRESET + ":" + name, name);
    }

    private static void requireRule(Knob knob, String ruleOfSetting, String setting) {
        if (knob.rule() != null && !knob.rule().equals(ruleOfSetting)) {
            throw new InvalidRequestException(setting + " applies to rule " + ruleOfSetting + ", not " + knob.rule());
        }
    }

    private static void check(String name, String problem) {
        if (problem != null) {
            throw new InvalidRequestException(name + " " + problem);
        }
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
