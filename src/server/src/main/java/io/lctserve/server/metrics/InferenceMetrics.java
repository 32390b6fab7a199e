package io.lctserve.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.springframework.stereotype.Component;

/**
 * The meters of DESIGN.md, each built once per tag set: {@code lctserve.requests},
 * {@code lctserve.exits}, {@code lctserve.stage.compute}, {@code lctserve.queue},
 * {@code lctserve.batch.size} and {@code lctserve.macs.saved}.
 */
@Component
public class InferenceMetrics {

    private final MeterRegistry registry;
    private final Map<String, Timer> requests = new ConcurrentHashMap<>();
    private final Map<String, Counter> exits = new ConcurrentHashMap<>();
    private final Map<String, Timer> stageCompute = new ConcurrentHashMap<>();
    private final Map<String, Timer> queue = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> batchSize = new ConcurrentHashMap<>();
    private final Map<String, Counter> macsSaved = new ConcurrentHashMap<>();

    public InferenceMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void recordRequest(String model, String mode, String outcome, long nanos) {
        meter(requests, model + '|' + mode + '|' + outcome, k -> Timer.builder("lctserve.requests")
                        .description("Inference requests, by model, mode and outcome")
                        .tags("model", model, "mode", mode, "outcome", outcome)
                        .publishPercentileHistogram()
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void recordStage(String model, int stage, int batch, long nanos) {
        String s = Integer.toString(stage);
        meter(stageCompute, model + '|' + s, k -> Timer.builder("lctserve.stage.compute")
                        .description("Time to run one stage and its head on the surviving samples")
                        .tags("model", model, "stage", s)
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
        meter(batchSize, model + '|' + s, k -> DistributionSummary.builder("lctserve.batch.size")
                        .description("Samples still running when a stage starts")
                        .tags("model", model, "stage", s)
                        .register(registry))
                .record(batch);
    }

    public void recordExit(String model, int stage, long macsSaved) {
        String s = Integer.toString(stage);
        meter(exits, model + '|' + s, k -> Counter.builder("lctserve.exits")
                        .description("Samples answered at each stage")
                        .tags("model", model, "stage", s)
                        .register(registry))
                .increment();
        meter(this.macsSaved, model, k -> Counter.builder("lctserve.macs.saved")
                        .description("Multiply-accumulates not spent thanks to early answers")
                        .tags("model", model)
                        .register(registry))
                .increment(macsSaved);
    }

    public void recordQueue(String model, long nanos) {
        meter(queue, model, k -> Timer.builder("lctserve.queue")
                        .description("Time a request waited for a compute slot")
                        .tags("model", model)
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    private static <M> M meter(Map<String, M> cache, String key, Function<String, M> create) {
        return cache.computeIfAbsent(key, create);
    }
}
