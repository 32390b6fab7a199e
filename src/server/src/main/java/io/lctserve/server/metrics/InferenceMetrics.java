package io.lctserve.server.metrics;

import io.lctserve.runtime.StageListener;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.stereotype.Component;

/**
 * The meters of DESIGN.md: {@code lctserve.requests}, {@code lctserve.exits},
 * {@code lctserve.stage.compute}, {@code lctserve.queue}, {@code lctserve.batch.size} and
 * {@code lctserve.macs.saved}, plus {@code lctserve.macs.overspent}, {@code lctserve.degraded},
 * {@code lctserve.refused}, {@code lctserve.models.loaded}, {@code lctserve.models.failed} and, with
 * batching, {@code lctserve.batch.queue} and {@code lctserve.batch.requests}. Each model's meters are built
 * once and then only recorded into, because they sit on the request path.
 *
 * <p>Compute is counted per sample against the full model ({@link io.lctserve.core.exit.ComputeCost}):
 * a sample answered for less adds the difference to {@code macs.saved}; one that cost more (the
 * ensemble, or early exit that read every head) adds its excess to {@code macs.overspent}, since a
 * Prometheus counter cannot go down. The net saving is saved minus overspent.
 */
@Component
public class InferenceMetrics {

    /** The mode tag of a request whose knob could not be read. */
    public static final String UNKNOWN_MODE = "unknown";

    private final MeterRegistry registry;
    private final Map<String, ModelMeters> models = new ConcurrentHashMap<>();

    /** Every loaded model's meters exist from the start, so that dashboards show zeros rather than gaps. */
    public InferenceMetrics(MeterRegistry registry, ModelRegistry models) {
        this.registry = registry;
        models.all().forEach(this::model);
        Gauge.builder("lctserve.models.failed", models, m -> m.failures().size())
                .description("Model folders not served as they are on disk: invalid, unreadable, or a refused"
                        + " replacement (the version loaded before still serves)")
                .register(registry);
        Gauge.builder("lctserve.models.loaded", models, m -> m.all().size())
                .description("Model versions served")
                .register(registry);
    }

    /** The meters of one model version (tagged by model name: versions share them). */
    public ModelMeters model(LoadedModel model) {
        return models.computeIfAbsent(
                model.name() + '/' + model.version(),
                key -> new ModelMeters(
                        registry,
                        model.name(),
                        model.version(),
                        model.exitCount(),
                        model.cost().fullModel()));
    }

    /**
     * Meters tagged with one model (its versions share them), and this version's own counts for
     * Triton's statistics; hears its stages and answers as the runtime reports them.
     */
    public static final class ModelMeters implements StageListener {

        private final MeterRegistry registry;
        private final String model;
        private final String version;
        private final VersionCounts counts = new VersionCounts();
        private final long fullModelMacs;
        private final Timer[] stageCompute;
        private final DistributionSummary[] batchSize;
        private final Counter[] exits;
        private final Counter[] degraded;
        private final Timer[] stageQueue;
        private final DistributionSummary[] batchRequests;
        private final Counter macsSaved;
        private final Counter macsOverspent;
        private final Timer queue;
        private final Counter refused;
        private final Counter streamCancelled;
        private final Timer firstAnswer;
        private final Map<String, Timer> requests = new ConcurrentHashMap<>();
        private volatile long lastInferenceMillis;

        ModelMeters(MeterRegistry registry, String model, String version, int stages, long fullModelMacs) {
            this.registry = registry;
            this.model = model;
            this.version = version;
            this.fullModelMacs = fullModelMacs;
            stageCompute = new Timer[stages];
            batchSize = new DistributionSummary[stages];
            exits = new Counter[stages];
            degraded = new Counter[stages];
            stageQueue = new Timer[stages];
            batchRequests = new DistributionSummary[stages];
            for (int k = 0; k < stages; k++) {
                String stage = Integer.toString(k);
                stageCompute[k] = Timer.builder("lctserve.stage.compute")
                        .description("Time to run one stage and the heads after it on the surviving samples")
                        .tags("model", model, "stage", stage)
                        .register(registry);
                batchSize[k] = DistributionSummary.builder("lctserve.batch.size")
                        .description("Samples in one run of a stage (survivors of one request, or with"
                                + " batching of several)")
                        .tags("model", model, "stage", stage)
                        .register(registry);
                exits[k] = Counter.builder("lctserve.exits")
                        .description("Samples answered at each stage")
                        .tags("model", model, "stage", stage)
                        .register(registry);
                degraded[k] = Counter.builder("lctserve.degraded")
                        .description("Samples a deadline cut short, by the stage whose head answered")
                        .tags("model", model, "stage", stage)
                        .register(registry);
                stageQueue[k] = Timer.builder("lctserve.batch.queue")
                        .description("Time a sample waited in a stage's queue (batching)")
                        .tags("model", model, "stage", stage)
                        .register(registry);
                batchRequests[k] = DistributionSummary.builder("lctserve.batch.requests")
                        .description("Requests whose samples shared one run of a stage (batching)")
                        .tags("model", model, "stage", stage)
                        .register(registry);
            }
            macsSaved = Counter.builder("lctserve.macs.saved")
                    .description("Multiply-accumulates the full model would have run beyond what was run,"
                            + " over samples answered for less")
                    .tags("model", model)
                    .register(registry);
            macsOverspent = Counter.builder("lctserve.macs.overspent")
                    .description("Multiply-accumulates run beyond the full model's, over samples that read"
                            + " more heads than it (ensemble, early exit through every head)")
                    .tags("model", model)
                    .register(registry);
            refused = Counter.builder("lctserve.refused")
                    .description("Inference requests refused with 503 before their body was read (admission)")
                    .tags("model", model)
                    .register(registry);
            streamCancelled = Counter.builder("lctserve.stream.cancelled")
                    .description("Calls whose caller went away (a cancelled stream, a closed connection)"
                            + " before their answer: no further stage ran for them")
                    .tags("model", model)
                    .register(registry);
            firstAnswer = Timer.builder("lctserve.first.answer")
                    .description("Time from a progressive call's arrival to its first answer (head 0's,"
                            + " or the final one if that came first)")
                    .tags("model", model)
                    .publishPercentileHistogram()
                    .register(registry);
            queue = Timer.builder("lctserve.queue")
                    .description("Time a request waited before it computed (a compute slot, or with"
                            + " batching its first stage run)")
                    .tags("model", model)
                    .register(registry);
        }

        @Override
        public void stageRan(int stage, int samples, long nanos) {
            stageCompute[stage].record(nanos, TimeUnit.NANOSECONDS);
            batchSize[stage].record(samples);
            counts.computeNanos.add(nanos);
            if (stage == 0) {
                counts.executions.increment();
            }
        }

        @Override
        public void answered(int stage, long macs) {
            exits[stage].increment();
            counts.inferences.increment();
            if (macs < fullModelMacs) {
                macsSaved.increment(fullModelMacs - macs);
            } else if (macs > fullModelMacs) {
                macsOverspent.increment(macs - fullModelMacs);
            }
        }

        @Override
        public void degraded(int stage) {
            degraded[stage].increment();
        }

        @Override
        public void queued(int stage, long nanos) {
            stageQueue[stage].record(nanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void merged(int stage, int requests) {
            batchRequests[stage].record(requests);
        }

        /** A request refused before its body was read (admission). */
        public void recordRefused() {
            refused.increment();
        }

        public void recordStreamCancelled() {
            streamCancelled.increment();
        }

        public void recordFirstAnswer(long nanos) {
            firstAnswer.record(nanos, TimeUnit.NANOSECONDS);
        }

        public void recordQueue(long nanos) {
            queue.record(nanos, TimeUnit.NANOSECONDS);
            counts.queue.add(nanos);
        }

        /**
         * Triton's statistics for this model version: request counts and times by outcome, queue and
         * compute time, samples answered, stage-0 runs (executions).
         */
        public Map<String, Object> tritonStats() {
            Map<String, Object> inference = new LinkedHashMap<>();
            inference.put("success", counts.success.asMap());
            inference.put("fail", counts.fail.asMap());
            inference.put("queue", counts.queue.asMap());
            inference.put("compute_infer", Map.of("count", counts.executions.sum(), "ns", counts.computeNanos.sum()));
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("name", model);
            stats.put("version", version);
            stats.put("last_inference", lastInferenceMillis);
            stats.put("inference_count", counts.inferences.sum());
            stats.put("execution_count", counts.executions.sum());
            stats.put("inference_stats", inference);
            return stats;
        }

        public void recordRequest(String mode, String outcome, long nanos) {
            lastInferenceMillis = System.currentTimeMillis();
            (outcome.equals("success") ? counts.success : counts.fail).add(nanos);
            requests.computeIfAbsent(mode + '|' + outcome, k -> Timer.builder("lctserve.requests")
                            .description("Inference requests, by model, mode and outcome")
                            .tags("model", model, "mode", mode, "outcome", outcome)
                            .publishPercentileHistogram()
                            .register(registry))
                    .record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** One model version's counts, for Triton's statistics (the meters themselves are per model name). */
    private static final class VersionCounts {
        final Duration success = new Duration();
        final Duration fail = new Duration();
        final Duration queue = new Duration();
        final LongAdder computeNanos = new LongAdder();
        final LongAdder executions = new LongAdder();
        final LongAdder inferences = new LongAdder();

        /** Triton's StatisticDuration: how many, and their nanoseconds. */
        static final class Duration {
            private final LongAdder count = new LongAdder();
            private final LongAdder nanos = new LongAdder();

            void add(long ns) {
                count.increment();
                nanos.add(ns);
            }

            Map<String, Object> asMap() {
                return Map.of("count", count.sum(), "ns", nanos.sum());
            }
        }
    }
}
