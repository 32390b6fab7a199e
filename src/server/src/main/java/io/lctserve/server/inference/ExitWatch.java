package io.lctserve.server.inference;

import io.lctserve.core.exit.Mode;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.SampleResult;
import io.lctserve.runtime.batching.Job;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.model.ExitProfile;
import io.lctserve.server.model.LoadedModel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * After a preset's early-exit answer has been sent, puts each sample's MACs into the model's {@link
 * ExitProfile}, against what the preset's setting is expected to spend ({@link
 * LoadedModel#expectedMacs}): only answers the setting gave alone (no {@code max_stage}, no deadline
 * cut). A shift the profile reveals is logged and counted ({@code lctserve.traffic.shifts}: model,
 * version, preset, direction = deeper | shallower) and told to {@link Recalibration}; {@link
 * ShadowVerification} verifies {@code shift-fraction} of the samples from then on, until a window of
 * live samples has been verified since.
 */
@Component
public class ExitWatch {

    private static final Logger log = LoggerFactory.getLogger(ExitWatch.class);

    private final LctServeProperties.Verification settings;
    private final MeterRegistry meters;
    private final Recalibration recalibration;

    public ExitWatch(LctServeProperties properties, MeterRegistry meters, Recalibration recalibration) {
        this.settings = properties.verification();
        this.meters = meters;
        this.recalibration = recalibration;
    }

    void afterAnswer(LoadedModel model, ResolvedKnob resolved, Job job, BatchResult answer) {
        String preset = resolved.preset();
        if (preset == null || job.plan().mode() != Mode.EARLY_EXIT || job.plan().lastStage() != model.exitCount() - 1) {
            return;
        }
        Double expected = model.expectedMacs(preset);
        if (expected == null) {
            return;
        }
        double full = model.cost().fullModel();
        for (SampleResult s : answer.samples()) {
            if (s.deadlineCut()) {
                continue;
            }
            ExitProfile.Shift shift = model.exits()
                    .record(preset, s.macs() / full, expected, model.traffic().added());
            if (shift != null) {
                shifted(model, shift);
            }
        }
    }

    private void shifted(LoadedModel model, ExitProfile.Shift shift) {
        Counter.builder("lctserve.traffic.shifts")
                .description("Changes in how deep a preset's answers go on live traffic, against its"
                        + " setting's expected mean MACs: the inputs moved")
                .tags(
                        "model", model.name(),
                        "version", model.version(),
                        "preset", shift.preset(),
                        "direction", shift.direction())
                .register(meters)
                .increment();
        log.info(
                "model {} version {}: traffic moved: preset {}'s answers average {} of the full model's MACs"
                        + " over the newest {}, its setting {}; verifying {} of answers until {} live samples"
                        + " more are in",
                model.name(),
                model.version(),
                shift.preset(),
                String.format(Locale.ROOT, "%.3f", shift.live()),
                shift.answers(),
                String.format(Locale.ROOT, "%.3f", shift.expected()),
                settings.fraction(true),
                settings.window());
        recalibration.consider(model);
    }
}
