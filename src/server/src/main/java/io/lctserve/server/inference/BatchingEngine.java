package io.lctserve.server.inference;

import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.runtime.batching.BatchingSettings;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * One batching scheduler per loaded model whose batching is on (lctserve.batching.*, with the
 * model's overrides): made for the models loaded at startup, and on first use for versions loaded
 * later; each closes with its model. Its workers hold a
 * compute slot of the {@link InferenceGate} for each stage run, so the slots bound all compute. The
 * queue timeouts of every model's requests wait on one timer thread, which this engine owns.
 */
@Component
public class BatchingEngine {

    private static final Logger log = LoggerFactory.getLogger(BatchingEngine.class);

    private final InferenceMetrics metrics;
    private final InferenceGate gate;
    private final LctServeProperties properties;
    private final ScheduledThreadPoolExecutor timeouts = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "lctserve-queue-timeouts");
        t.setDaemon(true);
        return t;
    });

    public BatchingEngine(
            ModelRegistry models, InferenceMetrics metrics, InferenceGate gate, LctServeProperties properties) {
        this.metrics = metrics;
        this.gate = gate;
        this.properties = properties;
        timeouts.setRemoveOnCancelPolicy(true); // answered requests take their timeouts with them
        models.all().forEach(this::scheduler); // started with the server, not by the first request
    }

    /** The model's scheduler (made on first use; closed with the model), or null when its batching is off. */
    public BatchScheduler scheduler(LoadedModel model) {
        LctServeProperties.Batching b = properties.batching().forModel(model.name());
        if (!b.enabled()) {
            return null;
        }
        return model.scheduler(() -> {
            BatchingSettings settings = new BatchingSettings(
                    b.maxBatchSize(),
                    b.maxQueueDelay(),
                    b.preferredBatchSizes().stream().mapToInt(Integer::intValue).toArray(),
                    b.workerCount(),
                    properties.queueTimeout(),
                    b.inlineWhenIdle());
            log.info(
                    "model {} version {}: batching on, {} workers, batches of up to {}, queue delay {} ms",
                    model.name(),
                    model.version(),
                    settings.workers(),
                    settings.maxBatchSize(),
                    settings.maxQueueDelay().toMillis());
            return new BatchScheduler(
                    model.predictor(),
                    metrics.model(model),
                    gate.permits(),
                    settings,
                    timeouts,
                    model.name() + "-" + model.version());
        });
    }

    /** How long a request may wait before its first stage runs. */
    public Duration queueTimeout() {
        return properties.queueTimeout();
    }

    /** Shut down after the models (and their schedulers) have closed: Spring destroys dependents first. */
    @PreDestroy
    void close() {
        timeouts.shutdownNow();
    }

    /**
     * Why a new request for the model should be refused before any work (its queues hold more work
     * than the queue timeout, at measured stage latencies), or null to admit it. Both transports ask.
     */
    public String queueRefusal(LoadedModel model) {
        BatchScheduler scheduler = model == null ? null : scheduler(model);
        long timeout = properties.queueTimeout().toNanos();
        if (scheduler != null && scheduler.estimatedWaitNanos() > timeout) {
            return "the queue holds more work than the " + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms queue timeout";
        }
        return null;
    }
}
