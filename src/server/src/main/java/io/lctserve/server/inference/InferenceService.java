package io.lctserve.server.inference;

import ai.onnxruntime.OrtException;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import java.util.Map;
import org.springframework.stereotype.Service;

/**
 * One inference, whichever endpoint it came through: read the input, resolve the request's knob,
 * wait for a compute slot, run the stages, and record what happened.
 */
@Service
public class InferenceService {

    private final InferenceOptionsResolver resolver;
    private final InferenceGate gate;
    private final StagedPredictor predictor;
    private final InferenceMetrics metrics;

    public InferenceService(
            InferenceOptionsResolver resolver,
            InferenceGate gate,
            StagedPredictor predictor,
            InferenceMetrics metrics) {
        this.resolver = resolver;
        this.gate = gate;
        this.predictor = predictor;
        this.metrics = metrics;
    }

    /** The model input, read from the request only once the request is being measured. */
    @FunctionalInterface
    public interface InputReader {
        ModelInput read();
    }

    /**
     * @param pixels row-major values in [0, 1]
     * @param shape {@code [batch, C, H, W]}
     */
    public record ModelInput(float[] pixels, long[] shape) {}

    public InferenceResult infer(
            LoadedModel model, InputReader input, Map<String, ?> parameters, long receivedNanos, boolean collectHeads)
            throws OrtException, InterruptedException {
        String mode = parameters == null || parameters.get(InferenceOptionsResolver.MODE) == null
                ? Mode.EARLY_EXIT.wireName()
                : Mode.fromWire(String.valueOf(parameters.get(InferenceOptionsResolver.MODE)))
                        .map(Mode::wireName)
                        .orElse("unknown");
        InferenceMetrics.ModelMeters meters = metrics.model(model.name(), model.exitCount());
        String outcome = "error";
        try {
            ModelInput in = input.read();
            InferenceOptions options = resolver.resolve(model, parameters, receivedNanos, collectHeads);
            InferenceResult result = gate.run(meters, () -> predictor.predict(model, in.pixels(), in.shape(), options));
            for (SampleResult s : result.samples()) {
                meters.recordExit(s.exitStage(), model.fullModelMacs() - model.macsThroughExit(s.exitStage()));
            }
            outcome = "success";
            return result;
        } catch (InvalidRequestException e) {
            outcome = "invalid";
            throw e;
        } catch (ServerBusyException e) {
            outcome = "busy";
            throw e;
        } finally {
            meters.recordRequest(mode, outcome, System.nanoTime() - receivedNanos);
        }
    }
}
