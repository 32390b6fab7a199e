package io.lctserve.server.inference;

import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.runtime.batching.BatchingSettings;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import java.util.IdentityHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * One batching scheduler per loaded model whose batching is on (lctserve.batching.*, with the
 * model's overrides), started with the server and closed before the models are. Its workers hold a
 * compute slot of the {@link InferenceGate} for each stage run, so the slots bound all compute.
 */
@Component
public class BatchingEngine implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(BatchingEngine.class);

    private final Map<LoadedModel, BatchScheduler> schedulers = new IdentityHashMap<>();

    public BatchingEngine(
            ModelRegistry models, InferenceMetrics metrics, InferenceGate gate, LctServeProperties properties) {
        for (LoadedModel model : models.all()) {
            LctServeProperties.Batching b = properties.batching().forModel(model.name());
            if (!b.enabled()) {
                log.info(
                        "model {} version {}: batching off, each request computes alone",
                        model.name(),
                        model.version());
                continue;
            }
            BatchingSettings settings = new BatchingSettings(
                    b.maxBatchSize(),
                    b.maxQueueDelay(),
                    b.preferredBatchSizes().stream().mapToInt(Integer::intValue).toArray(),
                    b.workerCount(),
                    properties.queueTimeout(),
                    b.inlineWhenIdle());
            schedulers.put(
                    model,
                    new BatchScheduler(
                            model.predictor(),
                            metrics.model(model),
                            gate.permits(),
                            settings,
                            model.name() + "-" + model.version()));
            log.info(
                    "model {} version {}: batching on, {} workers, batches of up to {}, queue delay {} ms",
                    model.name(),
                    model.version(),
                    settings.workers(),
                    settings.maxBatchSize(),
                    settings.maxQueueDelay().toMillis());
        }
    }

    /** The model's scheduler, or null when its batching is off. */
    public BatchScheduler scheduler(LoadedModel model) {
        return schedulers.get(model);
    }

    @Override
    public void destroy() {
        schedulers.values().forEach(BatchScheduler::close);
    }
}
