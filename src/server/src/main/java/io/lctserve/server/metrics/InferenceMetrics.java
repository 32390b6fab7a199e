package io.lctserve.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/**
 * The meters of DESIGN.md: {@code lctserve.requests}, {@code lctserve.exits},
 * {@code lctserve.stage.compute}, {@code lctserve.queue}, {@code lctserve.batch.size} and
 * {@code lctserve.macs.saved}. Each model's meters are built once and then only recorded into,
 * because they sit on the request path.
 */
@Component
public class InferenceMetrics {

    private final MeterRegistry registry;
    private final Map<String, ModelMeters> models = new ConcurrentHashMap<>();

    public InferenceMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The meters of one model with {@code stages} stages. */
    public ModelMeters model(String model, int stages) {
        return models.computeIfAbsent(model, m -> new ModelMeters(registry, m, stages));
    }

    /** Meters tagged with one model. */
    public static final class ModelMeters {

        private final MeterRegistry registry;
        private final String model;
        private final Timer[] stageCompute;
        private final DistributionSummary[] batchSize;
        private final Counter[] exits;
        private final Counter macsSaved;
        private final Timer queue;
        private final Map<String, Timer> requests = new ConcurrentHashMap<>();

        ModelMeters(MeterRegistry registry, String model, int stages) {
            this.registry = registry;
            this.model = model;
            stageCompute = new Timer[stages];
            batchSize = new DistributionSummary[stages];
            exits = new Counter[stages];
            for (int k = 0; k < stages; k++) {
                String stage = Integer.toString(k);
                stageCompute[k] = Timer.builder("lctserve.stage.compute")
                        .description("Time to run one stage and its head on the surviving samples")
                        .tags("model", model, "stage", stage)
                        .register(registry);
                batchSize[k] = DistributionSummary.builder("lctserve.batch.size")
                        .description("Samples still running when a stage starts")
                        .tags("model", model, "stage", stage)
                        .register(registry);
                exits[k] = Counter.builder("lctserve.exits")
                        .description("Samples answered at each stage")
                        .tags("model", model, "stage", stage)
                        .register(registry);
            }
            macsSaved = Counter.builder("lctserve.macs.saved")
                    .description("Multiply-accumulates not spent thanks to early answers")
                    .tags("model", model)
                    .register(registry);
            queue = Timer.builder("lctserve.queue")
                    .description("Time a request waited for a compute slot")
                    .tags("model", model)
                    .register(registry);
        }

        public void recordStage(int stage, int batch, long nanos) {
            stageCompute[stage].record(nanos, TimeUnit.NANOSECONDS);
            batchSize[stage].record(batch);
        }

        public void recordExit(int stage, long macsSavedBySample) {
            exits[stage].increment();
            macsSaved.increment(macsSavedBySample);
        }

        public void recordQueue(long nanos) {
            queue.record(nanos, TimeUnit.NANOSECONDS);
        }

        public void recordRequest(String mode, String outcome, long nanos) {
            requests.computeIfAbsent(mode + '|' + outcome, k -> Timer.builder("lctserve.requests")
                            .description("Inference requests, by model, mode and outcome")
                            .tags("model", model, "mode", mode, "outcome", outcome)
                            .publishPercentileHistogram()
                            .register(registry))
                    .record(nanos, TimeUnit.NANOSECONDS);
        }
    }
}
