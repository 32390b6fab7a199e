package io.lctserve.server.grpc;

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
import io.lctserve.protocol.grpc.ModelStreamInferResponse;
import io.lctserve.protocol.grpc.RepositoryIndexRequest;
import io.lctserve.protocol.grpc.RepositoryIndexResponse;
import io.lctserve.protocol.grpc.ServerLiveRequest;
import io.lctserve.protocol.grpc.ServerLiveResponse;
import io.lctserve.protocol.grpc.ServerMetadataRequest;
import io.lctserve.protocol.grpc.ServerMetadataResponse;
import io.lctserve.protocol.grpc.ServerReadyRequest;
import io.lctserve.protocol.grpc.ServerReadyResponse;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.inference.ModelLookup;
import io.lctserve.server.lifecycle.ServerReadiness;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import io.lctserve.server.protocol.ModelConfig;
import io.lctserve.server.protocol.ModelMetadata;
import io.lctserve.server.protocol.RepositoryIndex;
import io.lctserve.server.protocol.ServerIdentity;
import io.lctserve.server.protocol.Statistics;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code inference.GRPCInferenceService}: the Open Inference Protocol over gRPC, a sibling of the
 * HTTP endpoints over the same neutral protocol model (io.lctserve.server.protocol) and inference
 * service. Inference calls are {@link InferCalls}'; errors are gRPC status codes ({@link GrpcErrors});
 * Triton's extensions (model configuration, statistics, repository index) answer as their HTTP
 * endpoints do.
 */
@Component
public class InferenceGrpcService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private final ModelLookup lookup;
    private final ModelRegistry registry;
    private final InferCalls calls;
    private final Statistics statistics;
    private final BatchingEngine batching;
    private final ServerReadiness readiness;
    private final ServerIdentity identity;
    private final int maxBatch;
    private final JsonMapper json;

    InferenceGrpcService(
            ModelLookup lookup,
            ModelRegistry registry,
            InferCalls calls,
            Statistics statistics,
            BatchingEngine batching,
            ServerReadiness readiness,
            ServerIdentity identity,
            LctServeProperties properties,
            JsonMapper json) {
        this.lookup = lookup;
        this.registry = registry;
        this.calls = calls;
        this.statistics = statistics;
        this.batching = batching;
        this.readiness = readiness;
        this.identity = identity;
        this.maxBatch = properties.maxBatch();
        this.json = json;
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
            answer(out, GrpcMessages.metadata(ModelMetadata.of(model, registry.versions(model.name())), json));
        } catch (Exception e) {
            out.onError(GrpcErrors.exception(e));
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
            out.onError(GrpcErrors.exception(e));
        }
    }

    /** One entry per model version, as over HTTP. */
    @Override
    public void modelStatistics(ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> out) {
        try {
            ModelStatisticsResponse.Builder stats = ModelStatisticsResponse.newBuilder();
            for (Map<String, Object> entry : statistics.of(
                    GrpcMessages.emptyToNull(request.getName()), GrpcMessages.emptyToNull(request.getVersion()))) {
                stats.addModelStats(GrpcMessages.statistics(entry));
            }
            answer(out, stats.build());
        } catch (Exception e) {
            out.onError(GrpcErrors.exception(e));
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

    /** Runs on the connection's event loop and never blocks it ({@link InferCalls}). */
    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        calls.unary(request, out);
    }

    @Override
    public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> out) {
        return calls.stream(out);
    }

    private static <T> void answer(StreamObserver<T> out, T response) {
        out.onNext(response);
        out.onCompleted();
    }
}
