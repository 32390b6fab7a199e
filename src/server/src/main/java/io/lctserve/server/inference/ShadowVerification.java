package io.lctserve.server.inference;

import io.lctserve.core.exit.ExitRule;
import io.lctserve.core.exit.HeadOutput;
import io.lctserve.core.exit.Mode;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.SampleListener;
import io.lctserve.runtime.SampleResult;
import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.runtime.batching.Caller;
import io.lctserve.runtime.batching.Job;
import io.lctserve.runtime.batching.PendingRequest;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.model.ExitProfile;
import io.lctserve.server.model.LoadedModel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Checks early answers against the full network on live traffic. After a preset's answer has been
 * sent, each of its samples is, with probability {@code lctserve.verification.fraction}, run again
 * through every head to the last at the lowest priority on the model's batching queues (a sample the
 * last head answered too: the calibrated rate it is compared with is over every answer, and
 * recalibration needs the hard samples as much as the easy ones), gathered into batches of
 * {@value #BATCH} that ride with real requests and run only when none of theirs waits ahead of them.
 * Whether the early answer's class was the last head's is counted ({@code lctserve.verified}: model,
 * version, preset, stage, outcome agree | disagree | dropped) and kept per preset in the model's
 * {@link io.lctserve.server.model.LiveAgreement}; every head's probabilities go to the model's
 * {@link io.lctserve.server.model.LiveSamples}, and {@link Recalibration} is told. At most
 * {@code max-outstanding} samples are under verification: beyond that, and for whatever the queues
 * refuse or time out, the sample is dropped and counted, never waited for. Once the model's {@link
 * ExitProfile} shows the traffic moved ({@link ExitWatch}), {@code shift-fraction} of the samples are
 * verified instead, until a window of live samples has been verified since, so that {@link
 * Recalibration} has its evidence in a few thousand requests.
 *
 * <p>What it runs again is the sample from its input, not from the exit stage's activation: most
 * early answers leave at stage 0, whose cost (about a sixth of the full model here) is all this
 * repeats; every head runs, which costs 0.14 of the full model more than the last head alone.
 */
@Component
public class ShadowVerification {

    private static final Logger log = LoggerFactory.getLogger(ShadowVerification.class);
    /** Samples per shadow batch. */
    static final int BATCH = 16;

    /** Shadow answers are not the model's answers: they stay out of its exit and compute-saved metrics. */
    private static final SampleListener NOT_COUNTED = new SampleListener() {
        @Override
        public boolean countsAnswers() {
            return false;
        }
    };

    private final LctServeProperties.Verification settings;
    private final BatchingEngine batching;
    private final MeterRegistry meters;
    private final Recalibration recalibration;
    /** Samples gathered or under verification (at most max-outstanding). */
    private final AtomicInteger outstanding = new AtomicInteger();
    /** Per model version, the samples gathered for its next shadow batch (a version that goes takes its own). */
    private final Map<LoadedModel, Gathered> gathering = Collections.synchronizedMap(new WeakHashMap<>());

    public ShadowVerification(
            LctServeProperties properties, BatchingEngine batching, MeterRegistry meters, Recalibration recalibration) {
        this.settings = properties.verification();
        this.batching = batching;
        this.meters = meters;
        this.recalibration = recalibration;
    }

    /**
     * Picks the samples of an answered call to verify and gathers them per model version; every
     * {@value #BATCH} gathered samples go to the queues as one batch through every head (a lone sample
     * handed to a worker costs as much again in the hand-over as in the model). Only calls answered by a
     * preset are verified (a preset is what promises an accuracy; a request's own threshold is its own).
     * A {@code max_disagreement} call that ran every head ({@link Contract#explores()}) needs no second
     * run: what every preset would have answered is read from its heads and counted at once.
     */
    void afterAnswer(LoadedModel model, ResolvedKnob resolved, Job job, BatchResult answer) {
        // presets' answers; one served in full mode (it cost more in early exit) too, for its live samples
        Mode mode = job.plan().mode();
        if (mode != Mode.EARLY_EXIT && (mode != Mode.FULL || resolved.preset() == null)) {
            return;
        }
        boolean verifying = settings.enabled() && settings.fraction() > 0;
        if (resolved.contract() != null && resolved.contract().explores()) {
            if (verifying) {
                everyPreset(model, answer);
            }
            return;
        }
        if (resolved.preset() == null) {
            return;
        }
        if (!verifying) {
            return;
        }
        String preset = resolved.preset();
        int row = (int) (job.pixels().length / job.shape()[0]);
        double fraction = settings.fraction(gatheringAfterShift(model));
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < answer.samples().size(); i++) {
            SampleResult s = answer.samples().get(i);
            if (s.deadlineCut() || random.nextDouble() >= fraction) {
                continue;
            }
            if (outstanding.incrementAndGet() > settings.maxOutstanding()) {
                outstanding.decrementAndGet();
                dropped(model, preset, s.exitStage());
                continue;
            }
            Gathered full = null;
            boolean added = false;
            while (!added) {
                Gathered gathered = gathering.computeIfAbsent(model, m -> new Gathered(row));
                synchronized (gathered) {
                    if (gathered.size() < BATCH) { // else another thread has just filled and taken it
                        gathered.add(job.pixels(), i * row, new Early(preset, s.exitStage(), s.predictedClass()));
                        added = true;
                        if (gathered.size() == BATCH) {
                            gathering.remove(model);
                            full = gathered;
                        }
                    }
                }
            }
            if (full != null) {
                submit(model, full, job.shape());
            }
        }
    }

    /** Whether the model's traffic moved and fewer than a window of live samples have been verified since. */
    private boolean gatheringAfterShift(LoadedModel model) {
        ExitProfile.Shift shift = model.exits().shift();
        return shift != null && model.traffic().added() - shift.liveSamplesAt() < settings.window();
    }

    /**
     * Every preset's would-be answer on each sample that ran every head, against the last head's:
     * counted in each preset's live window as a verified sample (deadline-cut samples are skipped).
     */
    private void everyPreset(LoadedModel model, BatchResult answer) {
        int last = model.exitCount() - 1;
        int classes = model.classes();
        for (SampleResult s : answer.samples()) {
            if (s.deadlineCut() || s.heads().size() != model.exitCount()) {
                continue;
            }
            model.traffic().add(s.heads());
            for (String preset : model.manifest().presets().keySet()) {
                ExitRule rule = model.preset(preset);
                if (rule == null) {
                    continue;
                }
                HeadOutput previous = null;
                for (int k = 0; k <= last; k++) {
                    HeadOutput out = HeadOutput.of(s.heads().get(k).probabilities(), 0, classes, previous);
                    if (k == last || rule.exits(k, out)) {
                        recorded(model, preset, k, out.predictedClass() == s.predictedClass());
                        break;
                    }
                    previous = out;
                }
            }
        }
        recalibration.consider(model);
    }

    /** Samples gathered for one model version: their input rows, and what each early answer said. */
    private record Early(String preset, int stage, int predictedClass) {}

    private static final class Gathered {
        final float[] pixels;
        final int row;
        final List<Early> early = new ArrayList<>(BATCH);

        Gathered(int row) {
            this.row = row;
            this.pixels = new float[BATCH * row];
        }

        void add(float[] from, int offset, Early e) {
            System.arraycopy(from, offset, pixels, early.size() * row, row);
            early.add(e);
        }

        int size() {
            return early.size();
        }
    }

    private void submit(LoadedModel model, Gathered g, long[] requestShape) {
        BatchScheduler scheduler = batching.scheduler(model);
        if (scheduler == null || !model.acquire()) { // batching turned off, or the model is being unloaded
            outstanding.addAndGet(-g.size());
            return;
        }
        long[] shape = requestShape.clone();
        shape[0] = g.size();
        // every head, the last answering: the full model's answer, and every head's for recalibration
        ExitPlan everyHead = new ExitPlan(
                Mode.EARLY_EXIT,
                new ExitRule.Patience(model.exitCount() + 1),
                model.exitCount() - 1,
                ExitPlan.NO_DEADLINE,
                true);
        Job full = new Job(g.pixels, shape, everyHead, Integer.MAX_VALUE, NOT_COUNTED);
        PendingRequest pending;
        try {
            pending = scheduler.submit(full, Caller.MUST_NOT_BLOCK);
        } catch (RuntimeException e) { // the queues are full or closing: the shadow goes first
            end(model, g.size());
            g.early.forEach(early -> dropped(model, early.preset(), early.stage()));
            return;
        }
        pending.whenDone((verified, error) -> {
            end(model, g.size());
            for (int j = 0; j < g.size(); j++) {
                Early early = g.early.get(j);
                if (error != null || verified == null) {
                    dropped(model, early.preset(), early.stage());
                    continue;
                }
                SampleResult last = verified.samples().get(j);
                model.traffic().add(last.heads());
                recorded(model, early.preset(), early.stage(), last.predictedClass() == early.predictedClass());
            }
            recalibration.consider(model);
        });
    }

    /** One sampled answer's outcome, counted and kept in the preset's window; logged when its state changes. */
    private void recorded(LoadedModel model, String preset, int stage, boolean agreed) {
        count(model, preset, stage, agreed ? "agree" : "disagree");
        String changed = model.live().record(preset, agreed);
        if (changed != null) {
            log.info(
                    "model {} version {}, preset {}: live disagreement with the last head is now {}",
                    model.name(),
                    model.version(),
                    preset,
                    describe(model, preset));
        }
    }

    private void end(LoadedModel model, int samples) {
        outstanding.addAndGet(-samples);
        model.release();
    }

    private void dropped(LoadedModel model, String preset, int stage) {
        count(model, preset, stage, "dropped");
    }

    private void count(LoadedModel model, String preset, int stage, String outcome) {
        Counter.builder("lctserve.verified")
                .description("Early answers run again to the last head after they were sent (shadow"
                        + " verification): agreed, disagreed, or dropped under load")
                .tags(
                        "model", model.name(),
                        "version", model.version(),
                        "preset", preset,
                        "stage", Integer.toString(stage),
                        "outcome", outcome)
                .register(meters)
                .increment();
    }

    private static String describe(LoadedModel model, String preset) {
        return model.live().snapshot().stream()
                .filter(s -> s.preset().equals(preset))
                .findFirst()
                .map(s -> String.format(
                        java.util.Locale.ROOT,
                        "%s: %.2f %% of the last %d (95 %% interval %.2f-%.2f %%), calibrated %s",
                        s.state(),
                        100 * s.disagreement(),
                        s.window(),
                        100 * s.lower(),
                        100 * s.upper(),
                        s.calibrated() == null
                                ? "not recorded"
                                : String.format(java.util.Locale.ROOT, "%.2f %%", 100 * s.calibrated())))
                .orElse("unknown");
    }
}
