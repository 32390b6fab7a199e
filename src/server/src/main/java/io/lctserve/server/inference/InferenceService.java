package io.lctserve.server.inference;

import ai.onnxruntime.OrtException;
import io.lctserve.runtime.BatchResult;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import org.springframework.stereotype.Service;

/**
 * One inference, whichever endpoint it came through: decide what the knob means for the model,
 * wait for a compute slot, and run the batch through the model's stages; the stages and answers
 * are recorded as they happen.
 */
@Service
public class InferenceService {

    private final KnobResolver resolver;
    private final InferenceGate gate;
    private final InferenceMetrics metrics;

    public InferenceService(KnobResolver resolver, InferenceGate gate, InferenceMetrics metrics) {
        this.resolver = resolver;
        this.gate = gate;
        this.metrics = metrics;
    }

    /**
     * @param receivedNanos when the request arrived; a deadline counts from there
     * @param keepHeads keep every head's probabilities per sample (for people)
     */
    public InferenceResult infer(LoadedModel model, ModelInput input, Knob knob, long receivedNanos, boolean keepHeads)
            throws OrtException, InterruptedException {
        ResolvedKnob resolved = resolver.resolve(model, knob, receivedNanos, keepHeads);
        InferenceMetrics.ModelMeters meters = metrics.model(model);
        BatchResult batch = gate.run(
                meters, () -> model.predictor().predict(input.pixels(), input.shape(), resolved.plan(), meters));
        return new InferenceResult(batch, resolved.rule());
    }
}
