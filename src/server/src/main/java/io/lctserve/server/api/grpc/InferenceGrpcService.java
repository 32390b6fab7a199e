package io.lctserve.server.api.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.ModelConfigRequest;
import io.lctserve.protocol.grpc.ModelConfigResponse;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import io.lctserve.protocol.grpc.ModelMetadataRequest;
import io.lctserve.protocol.grpc.ModelMetadataResponse;
import io.lctserve.protocol.grpc.ModelReadyRequest;
import io.lctserve.protocol.grpc.ModelReadyResponse;
import io.lctserve.protocol.grpc.ModelStatisticsRequest;
import io.lctserve.protocol.grpc.ModelStatisticsResponse;
import io.lctserve.protocol.grpc.RepositoryIndexRequest;
import io.lctserve.protocol.grpc.RepositoryIndexResponse;
import io.lctserve.protocol.grpc.ServerLiveRequest;
import io.lctserve.protocol.grpc.ServerLiveResponse;
import io.lctserve.protocol.grpc.ServerMetadataRequest;
import io.lctserve.protocol.grpc.ServerMetadataResponse;
import io.lctserve.protocol.grpc.ServerReadyRequest;
import io.lctserve.protocol.grpc.ServerReadyResponse;
import io.lctserve.server.api.KnobBinder;
import io.lctserve.server.api.ModelLookup;
import io.lctserve.server.api.ServerIdentity;
import io.lctserve.server.api.v2.InferResponse;
import io.lctserve.server.api.v2.ModelConfig;
import io.lctserve.server.api.v2.ModelMetadata;
import io.lctserve.server.api.v2.RepositoryIndex;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.inference.Knob;
import io.lctserve.server.inference.ModelInput;
import io.lctserve.server.lifecycle.ServerReadiness;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code inference.GRPCInferenceService}: the Open Inference Protocol over gRPC. An inference walks
 * the same path as over HTTP (model lookup, knob, outputs, input tensor, {@link InferenceService},
 * answer) with the same messages; errors are gRPC status codes ({@link GrpcErrors}). Requests are
 * admitted as HTTP ones are: at most {@code max-in-flight} at once (RESOURCE_EXHAUSTED beyond), none
 * while the model's queues hold more than the queue timeout (UNAVAILABLE). Triton's extensions
 * (model configuration, statistics, repository index) answer as their HTTP endpoints do.
 */
@Component
public class InferenceGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private final ModelLookup lookup;
    private final ModelRegistry registry;
    private final InferenceService inference;
    private final InferenceMetrics metrics;
    private final BatchingEngine batching;
    private final ServerReadiness readiness;
    private final ServerIdentity identity;
    private final JsonMapper json;
    private final int maxBatch;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    public InferenceGrpcService(
            ModelLookup lookup,
            ModelRegistry registry,
            InferenceService inference,
            InferenceMetrics metrics,
            BatchingEngine batching,
            ServerReadiness readiness,
            ServerIdentity identity,
            JsonMapper json,
            LctServeProperties properties,
            @Value("${server.tomcat.threads.max:200}") int requestThreads) {
        this.lookup = lookup;
        this.registry = registry;
        this.inference = inference;
        this.metrics = metrics;
        this.batching = batching;
        this.readiness = readiness;
        this.identity = identity;
        this.json = json;
        this.maxBatch = properties.maxBatch();
        this.maxInFlight = properties.maxInFlight(requestThreads);
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
        answer(out, ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
        answer(out, ServerReadyResponse.newBuilder().setReady(readiness.ready()).build());
    }

    /** Ready when served; an unknown model or version is not ready (as Triton answers), not an error. */
    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        boolean ready = registry.find(request.getName(), GrpcMessages.emptyToNull(request.getVersion()))
                .isPresent();
        answer(out, ModelReadyResponse.newBuilder().setReady(ready).build());
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        answer(
                out,
                ServerMetadataResponse.newBuilder()
                        .setName(identity.name())
                        .setVersion(identity.version())
                        .addAllExtensions(ServerIdentity.EXTENSIONS)
                        .build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        try {
            LoadedModel model = lookup.find(request.getName(), GrpcMessages.emptyToNull(request.getVersion()));
            answer(out, GrpcMessages.metadata(ModelMetadata.of(model, registry.versions(model.name()))));
        } catch (Exception e) {
            out.onError(GrpcErrors.status(e).asRuntimeException());
        }
    }

    @Override
    public void modelConfig(ModelConfigRequest request, StreamObserver<ModelConfigResponse> out) {
        try {
            LoadedModel model = lookup.find(request.getName(), GrpcMessages.emptyToNull(request.getVersion()));
            ModelConfig config = ModelConfig.of(model, maxBatch, batching.scheduler(model));
            answer(
                    out,
                    ModelConfigResponse.newBuilder()
                            .setConfig(GrpcMessages.config(config))
                            .build());
        } catch (Exception e) {
            out.onError(GrpcErrors.status(e).asRuntimeException());
        }
    }

    /** Per model name (its versions share them), as over HTTP. */
    @Override
    public void modelStatistics(ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> out) {
        try {
            List<String> names = request.getName().isEmpty()
                    ? registry.names()
                    : List.of(lookup.find(request.getName(), GrpcMessages.emptyToNull(request.getVersion()))
                            .name());
            ModelStatisticsResponse.Builder stats = ModelStatisticsResponse.newBuilder();
            for (String name : names) {
                LoadedModel model = registry.find(name, null).orElseThrow();
                stats.addModelStats(GrpcMessages.statistics(metrics.model(model).tritonStats()));
            }
            answer(out, stats.build());
        } catch (Exception e) {
            out.onError(GrpcErrors.status(e).asRuntimeException());
        }
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> out) {
        RepositoryIndexResponse.Builder index = RepositoryIndexResponse.newBuilder();
        for (RepositoryIndex entry : RepositoryIndex.of(registry)) {
            if (!request.getReady() || entry.state().equals(RepositoryIndex.READY)) {
                index.addModels(GrpcMessages.index(entry));
            }
        }
        answer(out, index.build());
    }

    /**
     * Runs on the connection's event loop and never blocks it: the request is checked and decoded
     * here, handed to {@link InferenceService#inferAsync} (the batching workers, or a call thread for
     * the only call in flight on an idle model), and answered from the thread that finishes it.
     */
    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        long received = System.nanoTime();
        int calls = inFlight.incrementAndGet();
        if (calls > maxInFlight) {
            inFlight.decrementAndGet();
            registry.find(request.getModelName(), GrpcMessages.emptyToNull(request.getModelVersion()))
                    .ifPresent(m -> metrics.model(m).recordRefused());
            out.onError(Status.RESOURCE_EXHAUSTED
                    .withDescription("the server is busy: " + maxInFlight
                            + " inference requests in flight (lctserve.max-in-flight); retry later")
                    .asRuntimeException());
            return;
        }
        LoadedModel model = null;
        String mode = InferenceMetrics.UNKNOWN_MODE;
        try {
            model = lookup.find(request.getModelName(), GrpcMessages.emptyToNull(request.getModelVersion()));
            String refusal = batching.queueRefusal(model);
            if (refusal != null) {
                metrics.model(model).recordRefused();
                model = null; // refused before any work, as over HTTP: not a request outcome
                throw Status.UNAVAILABLE
                        .withDescription(refusal + "; retry later")
                        .asRuntimeException();
            }
            KnobBinder.Bound bound =
                    KnobBinder.bindProtocol(withCallDeadline(GrpcMessages.parameters(request.getParametersMap())));
            Knob knob = bound.knob();
            mode = knob.modeOrDefault().wireName();
            List<String> ignored = new ArrayList<>(bound.ignored());
            // gRPC answers are raw bytes whatever binary_data says: the protocol's own binary form
            List<InferResponse.Wanted> outputs =
                    InferResponse.requestedOutputs(GrpcMessages.outputs(request), model.classes(), true, ignored);
            ModelInput input = GrpcMessages.input(request, model.manifest().input(), maxBatch);
            LoadedModel served = model;
            String servedMode = mode;
            inference.inferAsync(model, input, knob, received, calls == 1).whenComplete((result, error) -> {
                try {
                    if (error == null) {
                        InferResponse answer = InferResponse.of(
                                served, GrpcMessages.emptyToNull(request.getId()), result, outputs, ignored);
                        out.onNext(GrpcMessages.response(answer, json));
                        out.onCompleted();
                        record(served, servedMode, "success", received);
                    } else {
                        fail(out, served, servedMode, error, received);
                    }
                } catch (RuntimeException e) {
                    fail(out, served, servedMode, e, received);
                } finally {
                    inFlight.decrementAndGet();
                }
            });
        } catch (Exception e) {
            try {
                fail(out, model, mode, e, received);
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }

    private void fail(
            StreamObserver<ModelInferResponse> out, LoadedModel model, String mode, Throwable error, long received) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        Status status = GrpcErrors.status(cause);
        record(model, mode, GrpcErrors.outcome(status), received);
        out.onError(status.asRuntimeException());
    }

    /**
     * A call's gRPC deadline (Triton's client_timeout) is its latency budget unless the request
     * gives one in its parameters ({@code deadline_ms}, or Triton's {@code timeout}).
     */
    private static Map<String, Object> withCallDeadline(Map<String, Object> parameters) {
        Deadline deadline = Context.current().getDeadline();
        if (deadline == null || parameters.containsKey(Knob.DEADLINE_MS) || parameters.containsKey("timeout")) {
            return parameters;
        }
        Map<String, Object> withDeadline = new HashMap<>(parameters);
        withDeadline.put(Knob.DEADLINE_MS, Math.max(1, deadline.timeRemaining(TimeUnit.MICROSECONDS)) / 1000.0);
        return withDeadline;
    }

    private void record(LoadedModel model, String mode, String outcome, long receivedNanos) {
        if (model != null) {
            metrics.model(model).recordRequest(mode, outcome, System.nanoTime() - receivedNanos);
        }
    }

    private static <T> void answer(StreamObserver<T> out, T response) {
        out.onNext(response);
        out.onCompleted();
    }
}
