package io.lctserve.server.inference;

import io.lctserve.core.exit.ExitAnalysis;
import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.ThresholdCalibration;
import io.lctserve.core.manifest.Preset;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.model.ExitProfile;
import io.lctserve.server.model.LiveAgreement;
import io.lctserve.server.model.LoadedModel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.time.Instant;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Keeps each preset's promise on the traffic the server sees now. A preset drifts when more of its
 * answers differ from the last head than its calibration explains ({@link LiveAgreement#driftSpan}:
 * over its newest 250, 500 or 1,000 verified answers or its whole window, an exact binomial test at
 * 0.05 % against {@link LiveAgreement#driftFrom}), or when its manifest setting replayed on the newest
 * live samples does (which sees a preset that no request used lately), or, after the traffic itself
 * moved ({@link ExitProfile}: the answers' depth, seen on every answer), when its setting differs
 * more often than calibrated on the live samples verified since, by a test at 5 % ({@link
 * #SHIFT_EVIDENCE}). Its setting is then searched
 * again on the model version's live samples since the drift began (every head of each, the last
 * head's answer as the reference) with the trainer's search ({@link ThresholdCalibration}, the same
 * grids, rules and {@code ComputeCost}): the cheapest setting of the preset's rule whose share on
 * those samples, plus 1.645 standard errors, is at most the calibrated rate and the preset's accuracy
 * budget ({@link #target}). While a preset is recalibrated, every quarter window of new live samples
 * it is checked again: back to the manifest's setting once that setting is within calibration on the
 * newest 1,000 live samples even by a test at 5 % (far looser than a drift's, so that it does not go
 * back and forth) and its mean MACs there are within {@link ExitProfile#MARGIN} of the manifest's
 * (the traffic looks like what it was calibrated on again), else searched again on every live sample since the drift began and changed if the
 * setting served no longer keeps the promise there or a new one costs 5 % less. Every change is logged
 * and counted ({@code lctserve.recalibrations}: model, version, preset, direction = drift | adjust |
 * return) and shown in the model's metadata. Nothing is persisted: a restarted replica serves the
 * manifest's settings and detects a drift that is still there again. Checks run on one thread of
 * their own, off the request path.
 *
 * <p>Over 300 lines because the four ways a preset's setting changes (drift, shift, adjust, return)
 * are one state machine over one check's state and read best side by side; the statistics it
 * decides with live elsewhere ({@link LiveAgreement}, {@link ExitProfile}, {@link ThresholdCalibration}).
 */
@Component
public class Recalibration {

    private static final Logger log = LoggerFactory.getLogger(Recalibration.class);

    /** Live samples a recalibrated preset's return is judged on: the longest drift span. */
    static final int RETURN_SPAN = 1000;

    /**
     * A recalibrated preset returns once its manifest setting is within calibration on them even at
     * 5 %: far looser than the 0.05 % a drift needs, so that it does not go back and forth.
     */
    static final double RETURN_ALPHA = 0.05;

    /**
     * Live samples verified since the traffic moved ({@link ExitProfile}) before a preset that serves
     * its manifest setting is judged on them: while the shift's evidence is gathered (up to a window
     * of them), a preset whose setting differs from the last head more often than calibrated there,
     * by the return's test at 5 %, is searched again on them. Outside a shift a drift needs 0.05 %:
     * once the inputs are known to have moved, the calibration no longer speaks for them, and the
     * setting must not be shown worse than it. A thousand samples also keep the search's margin
     * honest: on fewer, many settings differ on none.
     */
    static final int SHIFT_EVIDENCE = 1000;

    /** How much cheaper a new setting must be to replace a recalibrated one that still keeps its promise. */
    static final double CHEAPER = 0.05;

    private final LctServeProperties.Verification settings;
    private final MeterRegistry meters;
    private final ExecutorService checks = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lctserve-recalibration");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    });
    /** Per model version: live samples at its last check, whether a check is queued, per preset its drift's start. */
    private final Map<LoadedModel, State> states = Collections.synchronizedMap(new WeakHashMap<>());

    private static final class State {
        long checkedAt = Long.MIN_VALUE / 2;
        boolean queued;
        /** The newest traffic shift ({@link ExitProfile.Shift#id}) a check has looked at with enough samples since it. */
        long shiftChecked;
        /** Per recalibrated preset: the live sample count where its drift began, and at its last change. */
        final Map<String, long[]> marks = new ConcurrentHashMap<>();
    }

    public Recalibration(LctServeProperties properties, MeterRegistry meters) {
        this.settings = properties.verification();
        this.meters = meters;
    }

    /**
     * After new live samples or verified answers of {@code model}: queues a check when a preset that
     * serves its manifest setting drifted ({@link LiveAgreement#driftSpan}), and every quarter window
     * of new live samples (which also replays every preset's manifest setting on them).
     */
    void consider(LoadedModel model) {
        if (!settings.recalibrates(model.name())) {
            return;
        }
        long added = model.traffic().added();
        boolean drifted = model.manifest().presets().keySet().stream()
                .anyMatch(p ->
                        !model.recalibrated().containsKey(p) && model.live().driftSpan(p) > 0);
        State state = states.computeIfAbsent(model, m -> new State());
        ExitProfile.Shift shift = model.exits().shift();
        synchronized (state) {
            boolean due = added - state.checkedAt >= quarter()
                    || (shift != null
                            && shift.id() != state.shiftChecked
                            && added - shift.liveSamplesAt() >= shiftEvidence());
            if (state.queued || !(drifted || due)) {
                return;
            }
            state.queued = true;
            state.checkedAt = added;
        }
        try {
            checks.execute(() -> check(model, state));
        } catch (RejectedExecutionException e) { // shutting down
            synchronized (state) {
                state.queued = false;
            }
        }
    }

    /** Live samples since a shift before presets are judged on them: {@link #SHIFT_EVIDENCE}, or a smaller window. */
    private int shiftEvidence() {
        return Math.min(SHIFT_EVIDENCE, settings.window());
    }

    /** Live samples between checks of a recalibrated preset, and what its return is judged on. */
    private long quarter() {
        return Math.max(settings.window() / 4, LiveAgreement.MINIMUM);
    }

    private void check(LoadedModel model, State state) {
        try {
            if (model.isClosed() || model.traffic().size() < LiveAgreement.MINIMUM) {
                return;
            }
            long added = model.traffic().added();
            ExitProfile.Shift shift = model.exits().shift();
            long sinceShift = shift == null ? -1 : added - shift.liveSamplesAt();
            if (sinceShift >= shiftEvidence()) {
                synchronized (state) {
                    state.shiftChecked = shift.id();
                }
            }
            // judged at every check while the shift's evidence is gathered (window 2,000: at 1,000, 1,500, 2,000)
            boolean afterShift = sinceShift >= shiftEvidence() && sinceShift <= settings.window();
            for (Map.Entry<String, Preset> e : model.manifest().presets().entrySet()) {
                String preset = e.getKey();
                Double calibrated = e.getValue().validationDisagreement();
                ExitRule manifest = model.manifestPreset(preset);
                if (calibrated == null || manifest == null) {
                    continue;
                }
                long[] marks = state.marks.get(preset); // {drift began, last change}
                if (marks == null) {
                    int span = Math.max(
                            model.live().driftSpan(preset),
                            driftOnLiveSamples(model, manifest, model.live().driftFrom(preset)));
                    if (span > 0) {
                        // the live samples since the drift began: about as many as the span's verified ones
                        marks = new long[] {added - span, added};
                        ExitAnalysis live = model.traffic().analysis(model.cost(), span);
                        if (search(model, preset, e.getValue(), calibrated, live, "drift")) {
                            state.marks.put(preset, marks);
                        }
                    } else if (afterShift) {
                        // the inputs moved: the setting keeps its place only while not shown worse than calibrated
                        ExitAnalysis live = model.traffic().analysis(model.cost(), sinceShift);
                        if (LiveAgreement.above(
                                        live.outcome(manifest).differing(), live.samples(), calibrated, RETURN_ALPHA)
                                && search(model, preset, e.getValue(), calibrated, live, "drift")) {
                            state.marks.put(preset, new long[] {shift.liveSamplesAt(), added});
                        }
                    }
                    continue;
                }
                if (!model.recalibrated().containsKey(preset)) { // a search found the manifest's own setting
                    state.marks.remove(preset);
                    continue;
                }
                // back to the manifest's setting once the newest samples show it within calibration again,
                // and as deep as calibrated (a preset that differs little on drifted traffic went back and forth)
                ExitAnalysis newest = model.traffic().analysis(model.cost(), RETURN_SPAN);
                ExitAnalysis.Outcome asShipped = newest.outcome(manifest);
                Double depth = e.getValue().meanMacsFraction();
                if (added - marks[1] >= quarter()
                        && !LiveAgreement.above(asShipped.differing(), newest.samples(), calibrated, RETURN_ALPHA)
                        && (depth == null || ExitProfile.within(asShipped.meanMacsFraction(), depth))) {
                    model.restore(preset);
                    state.marks.remove(preset);
                    changed(model, preset, "return", manifest, asShipped, newest.samples());
                } else if (added - marks[1] >= quarter() || model.live().driftSpan(preset) > 0) {
                    ExitAnalysis sinceDrift = model.traffic().analysis(model.cost(), added - marks[0]);
                    if (adjust(model, preset, e.getValue(), calibrated, sinceDrift)) {
                        marks[1] = added;
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn(
                    "model {} version {}: recalibration check failed: {}", model.name(), model.version(), e.toString());
        } finally {
            synchronized (state) {
                state.queued = false;
            }
        }
    }

    /**
     * The preset's manifest setting replayed on the newest 250, 500 or 1,000 live samples, the
     * shortest span where more of its answers differ than the calibrated rate explains ({@link
     * LiveAgreement#above}, against {@link LiveAgreement#driftFrom}); 0 if none. This sees a preset
     * drift that no request used lately: the live samples are every preset's traffic.
     */
    private static int driftOnLiveSamples(LoadedModel model, ExitRule manifest, double driftFrom) {
        int size = model.traffic().size();
        for (int span : LiveAgreement.DRIFT_SPANS) {
            if (span <= size && drifted(model.traffic().analysis(model.cost(), span), manifest, driftFrom)) {
                return span;
            }
        }
        return 0;
    }

    private static boolean drifted(ExitAnalysis live, ExitRule rule, double driftFrom) {
        return LiveAgreement.above(live.outcome(rule).differing(), live.samples(), driftFrom);
    }

    /**
     * While recalibrated: searches again on every sample since the drift began, and changes the setting
     * only when the one served is no longer within calibration there, or the new one costs at least 5 %
     * less (a setting that moved with every few samples would restart its live window each time).
     */
    private boolean adjust(LoadedModel model, String preset, Preset shipped, double calibrated, ExitAnalysis live) {
        ExitAnalysis.Outcome served = live.outcome(model.preset(preset));
        String rule = shipped.rule() != null ? shipped.rule() : ExitRule.MAX_SOFTMAX;
        double target = target(preset, calibrated);
        ExitAnalysis.Outcome found = ThresholdCalibration.calibrate(rule, live, target);
        if (found == null
                || (ThresholdCalibration.within(served, target)
                        && found.meanMacsFraction() > served.meanMacsFraction() * (1 - CHEAPER))) {
            return false;
        }
        return search(model, preset, shipped, calibrated, live, "adjust");
    }

    /**
     * The share of answers differing from the last head a recalibrated setting may have: the
     * calibrated rate, and no more than the preset's accuracy budget. On drifted traffic most answers
     * that differ from the full model's are wrong where it is right (version 3's balanced preset, moved
     * images: 1.85 % differing, 0.85 pt lost), and without labels nothing tells a loss from a gain, so
     * the only bound on the accuracy lost that live traffic gives is the differing share itself.
     */
    private static double target(String preset, double calibrated) {
        Double budget = ThresholdCalibration.budget(preset);
        return budget == null ? calibrated : Math.min(calibrated, budget);
    }

    /** Searches the preset's setting on the live samples; installs it if it differs from what is served. */
    private boolean search(
            LoadedModel model, String preset, Preset shipped, double calibrated, ExitAnalysis live, String direction) {
        if (live.samples() < LiveAgreement.MINIMUM) {
            return false;
        }
        String rule = shipped.rule() != null ? shipped.rule() : ExitRule.MAX_SOFTMAX;
        ExitAnalysis.Outcome found = ThresholdCalibration.calibrate(rule, live, target(preset, calibrated));
        if (found == null || found.rule().equals(model.preset(preset))) {
            return false;
        }
        if (found.rule().equals(model.manifestPreset(preset))) {
            model.restore(preset);
        } else {
            model.recalibrate(
                    preset,
                    new LoadedModel.Recalibrated(
                            found.rule(),
                            Instant.now(),
                            live.samples(),
                            found.disagreement(),
                            found.meanMacsFraction(),
                            live.outcome(model.manifestPreset(preset)).disagreement()));
        }
        changed(model, preset, direction, found.rule(), found, live.samples());
        log.info(
                "model {} version {}, preset {}: the manifest's setting differs there on {} of {}, calibrated {}",
                model.name(),
                model.version(),
                preset,
                live.outcome(model.manifestPreset(preset)).differing(),
                live.samples(),
                calibrated);
        return true;
    }

    private void changed(
            LoadedModel model,
            String preset,
            String direction,
            ExitRule rule,
            ExitAnalysis.Outcome outcome,
            int samples) {
        Counter.builder("lctserve.recalibrations")
                .description("Presets set again on live traffic: drift (above calibration), adjust (searched"
                        + " again while recalibrated), return (back to the manifest's setting)")
                .tags("model", model.name(), "version", model.version(), "preset", preset, "direction", direction)
                .register(meters)
                .increment();
        log.info(
                "model {} version {}, preset {}: {} on {} live samples: now {} {}, {} of answers differing from the"
                        + " last head there at {} of the full model's MACs",
                model.name(),
                model.version(),
                preset,
                direction,
                samples,
                rule.wireName(),
                rule.setting(),
                String.format(Locale.ROOT, "%.2f %%", 100 * outcome.disagreement()),
                String.format(Locale.ROOT, "%.3f", outcome.meanMacsFraction()));
    }

    @PreDestroy
    void stop() {
        checks.shutdownNow();
    }
}
