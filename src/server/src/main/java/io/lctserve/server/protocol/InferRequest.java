package io.lctserve.server.protocol;

import java.util.List;
import java.util.Map;

/**
 * An Open Inference Protocol (KServe V2) inference request.
 *
 * @param id optional request id, echoed back
 * @param parameters the per-request knob: mode, threshold, preset, max_stage, deadline_ms
 * @param inputs exactly one tensor, the model input
 * @param outputs optional subset of outputs to return
 */
public record InferRequest(
        String id, Map<String, Object> parameters, List<Input> inputs, List<RequestedOutput> outputs) {

    /**
     * @param shape whole numbers (a JSON number with a fraction is refused, not truncated)
     * @param data flat or nested JSON array of numbers
     */
    public record Input(
            String name, List<Number> shape, String datatype, Map<String, Object> parameters, TensorData data) {}

    public record RequestedOutput(String name, Map<String, Object> parameters) {}
}
