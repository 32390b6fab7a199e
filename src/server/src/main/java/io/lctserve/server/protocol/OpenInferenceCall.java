package io.lctserve.server.protocol;

import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.server.inference.InferenceCall;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.inference.Knob;
import io.lctserve.server.inference.ModelInput;
import io.lctserve.server.inference.Responder;
import io.lctserve.server.model.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An Open Inference Protocol request as both transports read it, once the model is known: the knob
 * from its parameters (naming those ignored), the outputs it asks for, its input tensor; then the
 * answer built from the result. Each transport gives only how its input tensor is carried.
 */
public final class OpenInferenceCall implements InferenceCall.Reader {

    /** Reads the request's input tensor against the model's input. */
    @FunctionalInterface
    public interface InputReader {
        ModelInput read(TensorSpec spec);
    }

    /** How the answer's output values travel. */
    public enum Encoding {
        /** Raw little-endian bytes, whatever the request says (gRPC). */
        RAW,
        /** JSON, or raw bytes after it for the outputs the request asks so ({@code binary_data_output}, {@code binary_data}). */
        AS_ASKED,
        /** JSON only (a Server-Sent Event holds text). */
        JSON
    }

    /** What a request's {@code progressive} flag means where it came. */
    public enum Answers {
        /** A unary call: one answer, and the flag is refused. */
        ONE,
        /** A stream: one answer unless the flag asks for every head's. */
        ONE_UNLESS_ASKED,
        /** A stream of every head's answer unless the flag says false. */
        EVERY_HEAD_UNLESS_DECLINED
    }

    private final String id;
    private final Map<String, ?> parameters;
    private final List<InferRequest.RequestedOutput> outputs;
    private final Encoding encoding;
    private final Answers answers;
    private final InputReader input;
    // Known once read (on the thread that submits, before any answer):
    private volatile List<RequestedOutputs.Wanted> wanted;
    private volatile List<String> ignored;
    private volatile boolean progressive;
    private volatile long pauseNanos;

    public OpenInferenceCall(
            String id,
            Map<String, ?> parameters,
            List<InferRequest.RequestedOutput> outputs,
            Encoding encoding,
            Answers answers,
            InputReader input) {
        this.id = id;
        this.parameters = parameters;
        this.outputs = outputs;
        this.encoding = encoding;
        this.answers = answers;
        this.input = input;
    }

    @Override
    public Knob knob(LoadedModel served) {
        KnobBinder.Bound bound = KnobBinder.bindProtocol(parameters);
        List<String> notRead = new ArrayList<>(bound.ignored());
        boolean asked = Boolean.TRUE.equals(bound.progressive());
        progressive = switch (answers) {
            case ONE -> {
                if (asked) {
                    throw new InvalidRequestException(KnobBinder.PROGRESSIVE
                            + " answers come on a stream: gRPC ModelStreamInfer or POST .../infer_stream");
                }
                yield false;
            }
            case ONE_UNLESS_ASKED -> asked;
            case EVERY_HEAD_UNLESS_DECLINED -> !Boolean.FALSE.equals(bound.progressive());
        };
        if (bound.pauseMs() != null && !progressive) {
            throw new InvalidRequestException(KnobBinder.PROGRESSIVE_PAUSE_MS
                    + " is a pause after each progressive answer: it needs progressive answers on a stream");
        }
        pauseNanos = bound.pauseMs() == null ? 0 : (long) (bound.pauseMs() * 1e6);
        List<RequestedOutputs.Wanted> named =
                RequestedOutputs.of(outputs, served.classes(), binaryByDefault(), notRead);
        wanted = encoding == Encoding.JSON
                ? named.stream()
                        .map(w -> new RequestedOutputs.Wanted(w.name(), w.classCount(), false))
                        .toList()
                : named;
        ignored = notRead;
        return bound.knob();
    }

    @Override
    public ModelInput input(LoadedModel served) {
        return input.read(served.manifest().input());
    }

    private boolean binaryByDefault() {
        if (encoding == Encoding.RAW) {
            return true;
        }
        Object binary = parameters == null ? null : parameters.get(KnobBinder.BINARY_DATA_OUTPUT);
        return binary != null && RequestedOutputs.flag(binary, KnobBinder.BINARY_DATA_OUTPUT);
    }

    /** Whether the request asked for every head's answer (known once read). */
    public boolean progressive() {
        return progressive;
    }

    /** The pause it asked for after each progressive answer, in nanoseconds (known once read). */
    public long pauseNanos() {
        return pauseNanos;
    }

    /** The outputs the request asked for, in its order (known once read). */
    public List<RequestedOutputs.Wanted> wanted() {
        return wanted;
    }

    /** The answer (a provisional one too) as the protocol gives it. */
    public InferAnswer answer(InferenceResult result) {
        return InferAnswer.of(id, result, wanted, ignored);
    }

    /** How a streamed call is answered: progressively, and with pauses, as its request asked. */
    public abstract static class StreamResponder implements Responder {

        protected final OpenInferenceCall call;

        protected StreamResponder(OpenInferenceCall call) {
            this.call = call;
        }

        @Override
        public boolean progressive() {
            return call.progressive();
        }

        @Override
        public long pauseNanos() {
            return call.pauseNanos();
        }
    }
}
