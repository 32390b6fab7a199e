package io.lctserve.server.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.lctserve.protocol.grpc.InferParameter;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import io.lctserve.protocol.grpc.ModelStreamInferResponse;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.batching.Caller;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.Call;
import io.lctserve.server.inference.InferenceCall;
import io.lctserve.server.inference.InferenceException;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.inference.Responder;
import io.lctserve.server.protocol.OpenInferenceCall;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * ModelInfer and ModelStreamInfer: each request read through the protocol's neutral model and
 * submitted to {@link InferenceService} from the connection's event loop, which it never blocks; the
 * answer is written from the thread that finishes it. A call's gRPC deadline (Triton's
 * {@code client_timeout}) is its latency budget unless its parameters give one. A client that
 * cancels (a unary call, or a whole stream) stops its requests: no further stage runs for them.
 */
@Component
class InferCalls {

    /** Response parameter (Triton's decoupled convention): whether this answer is its request's last. */
    static final String FINAL = "triton_final_response";

    private final InferenceService inference;
    private final JsonMapper json;
    private final int maxBatch;

    InferCalls(InferenceService inference, JsonMapper json, LctServeProperties properties) {
        this.inference = inference;
        this.json = json;
        this.maxBatch = properties.maxBatch();
    }

    void unary(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        long received = System.nanoTime();
        ServerCallStreamObserver<ModelInferResponse> server = (ServerCallStreamObserver<ModelInferResponse>) out;
        Cancellable cancellable = new Cancellable();
        server.setOnCancelHandler(cancellable::cancel);
        OpenInferenceCall call = read(request, OpenInferenceCall.Answers.ONE);
        cancellable.set(inference.submit(inferenceCall(request, call, received), new Responder() {
            @Override
            public void answer(InferenceResult result) {
                out.onNext(GrpcMessages.response(call.answer(result), json));
                out.onCompleted();
            }

            @Override
            public void fail(InferenceException error) {
                out.onError(GrpcErrors.exception(error));
            }
        }));
    }

    /**
     * Requests on one bidirectional stream, answered in the order they finish: one response each, or
     * with {@code progressive: true} one per head consulted, the last with {@code triton_final_response}.
     * A failed request gets a response with its {@code error_message}, and the stream goes on; the
     * stream ends when the client has half-closed it and every request is answered.
     */
    StreamObserver<ModelInferRequest> stream(StreamObserver<ModelStreamInferResponse> out) {
        ServerCallStreamObserver<ModelStreamInferResponse> server =
                (ServerCallStreamObserver<ModelStreamInferResponse>) out;
        Stream stream = new Stream(server);
        server.setOnCancelHandler(stream::cancelAll);
        return new StreamObserver<>() {
            @Override
            public void onNext(ModelInferRequest request) {
                stream.submit(request);
            }

            @Override
            public void onError(Throwable t) {
                stream.cancelAll();
            }

            @Override
            public void onCompleted() {
                stream.halfClosed();
            }
        };
    }

    private OpenInferenceCall read(ModelInferRequest request, OpenInferenceCall.Answers answers) {
        return new OpenInferenceCall(
                GrpcMessages.emptyToNull(request.getId()),
                GrpcMessages.parameters(request.getParametersMap()),
                GrpcMessages.outputs(request),
                OpenInferenceCall.Encoding.RAW,
                answers,
                spec -> GrpcMessages.input(request, spec, maxBatch));
    }

    private static InferenceCall inferenceCall(ModelInferRequest request, OpenInferenceCall call, long received) {
        Deadline deadline = Context.current().getDeadline();
        long callDeadline = deadline == null
                ? ExitPlan.NO_DEADLINE
                : System.nanoTime() + Math.max(1, deadline.timeRemaining(TimeUnit.NANOSECONDS));
        return new InferenceCall(
                request.getModelName(),
                GrpcMessages.emptyToNull(request.getModelVersion()),
                call,
                received,
                callDeadline,
                Caller.MUST_NOT_BLOCK);
    }

    /** A call that may be cancelled before {@link InferenceService#submit} has returned it. */
    private static final class Cancellable {
        private Call call; // guarded by this
        private boolean gone; // guarded by this

        void set(Call submitted) {
            synchronized (this) {
                call = submitted;
                if (!gone) {
                    return;
                }
            }
            submitted.cancel();
        }

        void cancel() {
            Call c;
            synchronized (this) {
                gone = true;
                c = call;
            }
            if (c != null) {
                c.cancel();
            }
        }
    }

    /** One ModelStreamInfer stream: its requests in flight, and its writes (one at a time, as gRPC wants). */
    private final class Stream {
        private final ServerCallStreamObserver<ModelStreamInferResponse> out;
        private final Set<Cancellable> inFlight = new HashSet<>(); // guarded by this
        private boolean halfClosed; // guarded by this
        private boolean ended; // guarded by this

        Stream(ServerCallStreamObserver<ModelStreamInferResponse> out) {
            this.out = out;
        }

        void submit(ModelInferRequest request) {
            long received = System.nanoTime();
            OpenInferenceCall call = read(request, OpenInferenceCall.Answers.ONE_UNLESS_ASKED);
            Cancellable cancellable = new Cancellable();
            synchronized (this) {
                inFlight.add(cancellable);
            }
            cancellable.set(inference.submit(
                    inferenceCall(request, call, received), new OpenInferenceCall.StreamResponder(call) {
                        @Override
                        public void progress(InferenceResult soFar) {
                            write(streamed(call, soFar, false), null);
                        }

                        @Override
                        public void answer(InferenceResult result) {
                            write(streamed(call, result, true), cancellable);
                        }

                        @Override
                        public void fail(InferenceException error) {
                            String message = GrpcErrors.status(error).getCode() + ": " + error.getMessage();
                            write(
                                    ModelStreamInferResponse.newBuilder()
                                            .setErrorMessage(message)
                                            .build(),
                                    cancellable);
                        }
                    }));
        }

        /** Writes a response; {@code done}: its request has had its last, and the stream may end. */
        private synchronized void write(ModelStreamInferResponse response, Cancellable done) {
            if (ended) {
                return;
            }
            out.onNext(response);
            if (done != null) {
                inFlight.remove(done);
                endIfAnswered();
            }
        }

        synchronized void halfClosed() {
            halfClosed = true;
            endIfAnswered();
        }

        private void endIfAnswered() {
            if (halfClosed && inFlight.isEmpty() && !ended) {
                ended = true;
                out.onCompleted();
            }
        }

        void cancelAll() {
            Set<Cancellable> calls;
            synchronized (this) {
                ended = true;
                calls = new HashSet<>(inFlight);
                inFlight.clear();
            }
            calls.forEach(Cancellable::cancel);
        }
    }

    private ModelStreamInferResponse streamed(OpenInferenceCall call, InferenceResult result, boolean last) {
        ModelInferResponse response = GrpcMessages.response(call.answer(result), json).toBuilder()
                .putParameters(
                        FINAL, InferParameter.newBuilder().setBoolParam(last).build())
                .build();
        return ModelStreamInferResponse.newBuilder().setInferResponse(response).build();
    }
}
