package io.lctserve.server.http.v2;

import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.batching.Caller;
import io.lctserve.server.http.AwaitedAnswer;
import io.lctserve.server.inference.InferenceCall;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.protocol.InferRequest;
import io.lctserve.server.protocol.OpenInferenceCall;
import io.lctserve.server.protocol.TensorDecoder;
import java.nio.ByteBuffer;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.json.JsonMapper;

/**
 * One unary V2 infer call over HTTP, however its body came ({@link OpenInferenceController} or
 * {@link JsonInferFilter}): submitted, waited for on the request thread (which computes it itself
 * when the model is idle) and answered as JSON, or as binary tensors where the request asked for them.
 */
final class UnaryInfer {

    private final InferenceService inference;
    private final int maxBatch;
    private final JsonMapper json;

    UnaryInfer(InferenceService inference, int maxBatch, JsonMapper json) {
        this.inference = inference;
        this.maxBatch = maxBatch;
        this.json = json;
    }

    /** The answer to {@code request} for model {@code name} (version null: the one served), its tensors in {@code binary} or in its JSON. */
    ResponseEntity<Object> answer(String name, String version, InferRequest request, ByteBuffer binary, Long arrived)
            throws InterruptedException {
        OpenInferenceCall call = new OpenInferenceCall(
                request.id(),
                request.parameters(),
                request.outputs(),
                OpenInferenceCall.Encoding.AS_ASKED,
                OpenInferenceCall.Answers.ONE,
                spec -> TensorDecoder.decode(request.inputs(), spec, maxBatch, binary));
        InferenceResult result = AwaitedAnswer.of(
                inference,
                new InferenceCall(
                        name, version, call, arrivedOrNow(arrived), ExitPlan.NO_DEADLINE, Caller.MAY_COMPUTE));
        return BinaryTensorResponse.of(call.answer(result), call.wanted(), json);
    }

    /** When the call arrived (the edge noted it before the body was read), or now where nothing did. */
    static long arrivedOrNow(Long arrived) {
        return arrived == null ? System.nanoTime() : arrived;
    }
}
