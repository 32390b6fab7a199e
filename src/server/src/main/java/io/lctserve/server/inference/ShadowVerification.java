package io.lctserve.server.inference;

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
import io.lctserve.server.model.LoadedModel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Checks early answers against the full network on live traffic. After a preset's answer has been
 * sent, each of its samples that left before the last head is, with probability
 * {@code lctserve.verification.fraction}, run again in full mode at the lowest priority on the
 * model's batching queues, where it rides in batches with real requests and runs only when none of
 * theirs waits ahead of it. Whether the early answer's class was the last head's is counted
 * ({@code lctserve.verified}: model, version, preset, stage, outcome agree | disagree | dropped) and
 * kept per preset in the model's {@link io.lctserve.server.model.LiveAgreement}. At most
 * {@code max-outstanding} samples are under verification: beyond that, and for whatever the queues
 * refuse or time out, the sample is dropped and counted, never waited for.
 *
 * <p>What it runs again is the sample from its input, not from the exit stage's activation: most
 * early answers leave at stage 0, whose cost (about a sixth of the full model here) is all this
 * repeats.
 */
@Component
public class ShadowVerification {

    private static final Logger log = LoggerFactory.getLogger(ShadowVerification.class);
    static final String PRESET = "preset:";

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
    private final AtomicInteger outstanding = new AtomicInteger();

    public ShadowVerification(LctServeProperties properties, BatchingEngine batching, MeterRegistry meters) {
        this.settings = properties.verification();
        this.batching = batching;
        this.meters = meters;
    }

    /**
     * Picks the samples of an answered call to verify, and queues them. Only calls answered by a
     * preset are verified (a preset is what promises an accuracy; a request's own threshold is its own).
     */
    void afterAnswer(LoadedModel model, String rule, Job job, BatchResult answer) {
        if (!settings.enabled()
                || settings.fraction() <= 0
                || job.plan().mode() != Mode.EARLY_EXIT
                || rule == null
                || !rule.startsWith(PRESET)) {
            return;
        }
        int last = model.exitCount() - 1;
        List<Integer> picked = new ArrayList<>();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < answer.samples().size(); i++) {
            SampleResult s = answer.samples().get(i);
            if (s.exitStage() < last && !s.deadlineCut() && random.nextDouble() < settings.fraction()) {
                picked.add(i);
            }
        }
        if (picked.isEmpty()) {
            return;
        }
        String preset = rule.substring(PRESET.length());
        BatchScheduler scheduler = batching.scheduler(model);
        if (scheduler == null) {
            return; // batching off: there are no queues for shadow work to wait in at the lowest priority
        }
        if (outstanding.addAndGet(picked.size()) > settings.maxOutstanding()) {
            outstanding.addAndGet(-picked.size());
            picked.forEach(i -> dropped(model, preset, answer.samples().get(i).exitStage()));
            return;
        }
        if (!model.acquire()) { // being unloaded: nothing to verify it against any more
            outstanding.addAndGet(-picked.size());
            return;
        }
        int row = (int) (job.pixels().length / job.shape()[0]);
        float[] pixels = new float[picked.size() * row];
        for (int j = 0; j < picked.size(); j++) {
            System.arraycopy(job.pixels(), picked.get(j) * row, pixels, j * row, row);
        }
        long[] shape = job.shape().clone();
        shape[0] = picked.size();
        Job full = new Job(pixels, shape, ExitPlan.of(Mode.FULL, null, last), Integer.MAX_VALUE, NOT_COUNTED);
        PendingRequest pending;
        try {
            pending = scheduler.submit(full, Caller.MUST_NOT_BLOCK);
        } catch (RuntimeException e) { // the queues are full or closing: the shadow goes first
            end(model, picked.size());
            picked.forEach(i -> dropped(model, preset, answer.samples().get(i).exitStage()));
            return;
        }
        pending.whenDone((verified, error) -> {
            end(model, picked.size());
            for (int j = 0; j < picked.size(); j++) {
                SampleResult early = answer.samples().get(picked.get(j));
                if (error != null || verified == null) {
                    dropped(model, preset, early.exitStage());
                } else {
                    boolean agreed = verified.samples().get(j).predictedClass() == early.predictedClass();
                    count(model, preset, early.exitStage(), agreed ? "agree" : "disagree");
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
            }
        });
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
