package io.lctserve.server.inference;

import ai.onnxruntime.OrtException;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.runtime.batching.PendingRequest;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import org.springframework.stereotype.Service;

/**
 * One inference, whichever endpoint it came through: decide what the knob means for the model, then
 * either hand the samples to the model's batching scheduler (they share stage runs with other
 * requests' samples) or, with batching off, wait for a compute slot and run the request alone. The
 * stages and answers are recorded as they happen.
 */
@Service
public class InferenceService {

    private final KnobResolver resolver;
    private final InferenceGate gate;
    private final BatchingEngine batching;
    private final InferenceMetrics metrics;
    private final long queueTimeoutNanos;

    public InferenceService(
            KnobResolver resolver,
            InferenceGate gate,
            BatchingEngine batching,
            InferenceMetrics metrics,
            LctServeProperties properties) {
        this.resolver = resolver;
        this.gate = gate;
        this.batching = batching;
        this.metrics = metrics;
        this.queueTimeoutNanos = properties.queueTimeout().toNanos();
    }

    /**
     * @param receivedNanos when the request arrived; a deadline counts from there
     * @param keepHeads keep every head's probabilities per sample (for people)
     */
    public InferenceResult infer(LoadedModel model, ModelInput input, Knob knob, long receivedNanos, boolean keepHeads)
            throws OrtException, InterruptedException {
        ResolvedKnob resolved = resolver.resolve(model, knob, receivedNanos, keepHeads);
        InferenceMetrics.ModelMeters meters = metrics.model(model);
        if (!model.acquire()) { // taken out of the repository since the request looked it up
            throw new ServerBusyException(
                    "model " + model.name() + " version " + model.version() + " is being unloaded; retry later");
        }
        try {
            BatchScheduler scheduler = batching.scheduler(model);
            BatchResult batch = scheduler == null
                    ? gate.run(meters, () -> model.predictor()
                            .predict(input.pixels(), input.shape(), resolved.plan(), meters))
                    : batched(scheduler, input, resolved, meters);
            return new InferenceResult(batch, resolved.rule());
        } finally {
            model.release();
        }
    }

    private BatchResult batched(
            BatchScheduler scheduler, ModelInput input, ResolvedKnob resolved, InferenceMetrics.ModelMeters meters)
            throws OrtException, InterruptedException {
        PendingRequest pending;
        try {
            pending = scheduler.submit(input.pixels(), input.shape(), resolved.plan(), resolved.priority());
        } catch (RejectedExecutionException e) {
            meters.recordQueue(0);
            throw new ServerBusyException(e.getMessage() + "; retry later");
        }
        try {
            return pending.await(queueTimeoutNanos);
        } catch (TimeoutException e) {
            throw new ServerBusyException(
                    "no compute slot became free within " + queueTimeoutNanos / 1_000_000 + " ms; retry later");
        } finally {
            meters.recordQueue(pending.queueNanos());
        }
    }
}
