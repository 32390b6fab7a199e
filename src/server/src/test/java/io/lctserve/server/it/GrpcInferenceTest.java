package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.lctserve.core.data.ImageSet;
import io.lctserve.protocol.grpc.DataType;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.InferParameter;
import io.lctserve.protocol.grpc.InferTensorContents;
import io.lctserve.protocol.grpc.ModelConfig;
import io.lctserve.protocol.grpc.ModelConfigRequest;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import io.lctserve.protocol.grpc.ModelMetadataRequest;
import io.lctserve.protocol.grpc.ModelMetadataResponse;
import io.lctserve.protocol.grpc.ModelReadyRequest;
import io.lctserve.protocol.grpc.ModelStatistics;
import io.lctserve.protocol.grpc.ModelStatisticsRequest;
import io.lctserve.protocol.grpc.RepositoryIndexRequest;
import io.lctserve.protocol.grpc.ServerLiveRequest;
import io.lctserve.protocol.grpc.ServerMetadataRequest;
import io.lctserve.protocol.grpc.ServerReadyRequest;
import io.lctserve.server.grpc.GrpcServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The Open Inference Protocol over gRPC, against the real server on the shipped model, with
 * requests shaped as Triton's and KServe's gRPC clients send them (raw little-endian tensors, or
 * typed contents; parameters as typed InferParameters): the answers equal the JSON path's, the
 * errors are gRPC codes with HTTP's messages, and the requests are counted in the same meters.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GrpcInferenceTest {

    private static final String MODEL = ShippedModel.NAME;

    @LocalServerPort
    int httpPort;

    @Autowired
    GrpcServer grpc;

    @Autowired
    MeterRegistry meters;

    ManagedChannel channel;
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("localhost", grpc.port())
                .usePlaintext()
                .build();
        stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void healthAndMetadataAnswerAsTheProtocolSays() {
        assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive())
                .isTrue();
        assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady())
                .isTrue();
        assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).build())
                        .getReady())
                .isTrue();
        assertThat(stub.modelReady(ModelReadyRequest.newBuilder()
                                .setName(MODEL)
                                .setVersion("99")
                                .build())
                        .getReady())
                .isFalse();
        assertThat(stub.serverMetadata(ServerMetadataRequest.getDefaultInstance())
                        .getExtensionsList())
                .contains("binary_tensor_data", "classification", "lctserve_progressive_inference");

        ModelMetadataResponse m = stub.modelMetadata(
                ModelMetadataRequest.newBuilder().setName(MODEL).build());
        assertThat(m.getName()).isEqualTo(MODEL);
        assertThat(m.getVersionsList())
                .contains(ShippedModel.FOLDER.getFileName().toString());
        assertThat(m.getInputs(0).getName()).isEqualTo("input");
        assertThat(m.getInputs(0).getShapeList()).containsExactly(-1L, 1L, 28L, 28L);
        assertThat(m.getOutputsList().stream().map(ModelMetadataResponse.TensorMetadata::getName))
                .containsExactly("probabilities", "class", "confidence", "exit_stage");
        // lctserve's extension: HTTP's metadata parameters, live agreement per preset included
        assertThat(m.getParametersMap().get("version").getStringParam())
                .isEqualTo(ShippedModel.FOLDER.getFileName().toString());
        assertThat(m.getParametersMap().get("presets").getStringParam()).contains("\"balanced\"");
        assertThat(m.getParametersMap().get("live").getStringParam()).startsWith("["); // verified presets, JSON

        assertThatThrownBy(() -> stub.modelMetadata(
                        ModelMetadataRequest.newBuilder().setName("nothing").build()))
                .satisfies(e -> assertStatus(e, Status.Code.NOT_FOUND, "unknown model nothing"));
    }

    /** Triton's client's get_model_config, get_inference_statistics and get_model_repository_index. */
    @Test
    void tritonsConfigurationStatisticsAndIndexAnswerAsOverHttp() {
        stub.modelInfer(request(0, 1, "UINT8").addRawInputContents(uint8(0, 1)).build());
        Http http = new Http(httpPort);

        ModelConfig config = stub.modelConfig(
                        ModelConfigRequest.newBuilder().setName(MODEL).build())
                .getConfig();
        JsonNode json = http.get("/v2/models/" + MODEL + "/config").json();
        assertThat(config.getName()).isEqualTo(MODEL);
        assertThat(config.getMaxBatchSize())
                .isEqualTo(json.get("max_batch_size").intValue());
        assertThat(config.getInput(0).getDataType()).isEqualTo(DataType.TYPE_FP32);
        assertThat(config.getInput(0).getDimsList()).containsExactly(1L, 28L, 28L);
        assertThat(config.getOutput(0).getDimsList()).containsExactly(10L);
        assertThat(config.getOutput(1).getDataType()).isEqualTo(DataType.TYPE_INT64);
        assertThat(config.hasDynamicBatching()).isTrue();
        assertThatThrownBy(() -> stub.modelConfig(
                        ModelConfigRequest.newBuilder().setName("nothing").build()))
                .satisfies(e -> assertStatus(e, Status.Code.NOT_FOUND, "unknown model nothing"));

        String newest = ShippedModel.FOLDER.getFileName().toString();
        List<ModelStatistics> all = stub.modelStatistics(ModelStatisticsRequest.getDefaultInstance())
                .getModelStatsList();
        assertThat(all).extracting(ModelStatistics::getVersion).contains("1", newest); // one entry per version
        ModelStatistics stats = stub.modelStatistics(ModelStatisticsRequest.newBuilder()
                        .setName(MODEL)
                        .setVersion(newest)
                        .build())
                .getModelStats(0);
        assertThat(stats.getName()).isEqualTo(MODEL);
        assertThat(stats.getVersion()).isEqualTo(newest);
        assertThat(stats.getInferenceCount()).isPositive();
        assertThat(stats.getInferenceStats().getSuccess().getCount()).isPositive();
        assertThat(stats.getInferenceStats().getSuccess().getNs()).isPositive();
        assertThat(stats.getLastInference()).isPositive();

        assertThat(stub.repositoryIndex(RepositoryIndexRequest.newBuilder()
                                .setReady(true)
                                .build())
                        .getModelsList())
                .anySatisfy(m -> {
                    assertThat(m.getName()).isEqualTo(MODEL);
                    assertThat(m.getVersion())
                            .isEqualTo(ShippedModel.FOLDER.getFileName().toString());
                    assertThat(m.getState()).isEqualTo("READY");
                });
    }

    @Test
    void theStandardHealthServiceFollowsReadiness() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        for (String service : List.of("", "inference.GRPCInferenceService", "liveness")) {
            assertThat(health.check(HealthCheckRequest.newBuilder()
                                    .setService(service)
                                    .build())
                            .getStatus())
                    .isEqualTo(ServingStatus.SERVING);
        }
        assertThatThrownBy(() -> health.check(
                        HealthCheckRequest.newBuilder().setService("other").build()))
                .satisfies(e -> assertStatus(e, Status.Code.NOT_FOUND, "unknown service 'other'"));
    }

    /** Triton's client: set_data_from_numpy puts the tensor in raw_input_contents, parameters typed. */
    @Test
    void rawTensorsAsTritonSendsThemGetTheAnswersOfTheJsonPath() {
        Http http = new Http(httpPort);
        for (String preset : List.of("fast", "balanced", "accurate")) {
            for (int image = 0; image < 8; image++) {
                ModelInferResponse r = stub.modelInfer(request(image, 1, "FP32")
                        .putParameters("preset", text(preset))
                        .putParameters(
                                "priority",
                                InferParameter.newBuilder().setUint64Param(1).build())
                        .addRawInputContents(fp32(image, 1))
                        .build());
                JsonNode json = http.postJson(
                                "/v2/models/" + MODEL + "/infer",
                                ShippedModel.inferBody(image, 1, "{\"preset\":\"" + preset + "\"}"))
                        .json();
                assertSameAnswer(r, json);
            }
        }
    }

    /** KServe's client without raw data: typed contents, UINT8 in uint_contents, FP32 in fp32_contents. */
    @Test
    void typedContentsGetTheSameAnswersAsRawOnes() {
        ModelInferResponse raw = stub.modelInfer(
                request(10, 3, "UINT8").addRawInputContents(uint8(10, 3)).build());
        InferTensorContents.Builder uints = InferTensorContents.newBuilder();
        InferTensorContents.Builder floats = InferTensorContents.newBuilder();
        ImageSet images = ShippedModel.testImages();
        for (int i = 10 * 784; i < 13 * 784; i++) {
            int v = images.pixels()[i] & 0xFF;
            uints.addUintContents(v);
            floats.addFp32Contents(v / 255f);
        }
        ModelInferRequest.Builder typedUint8 = request(10, 3, "UINT8");
        typedUint8.getInputsBuilder(0).setContents(uints);
        ModelInferRequest.Builder typedFp32 = request(10, 3, "FP32");
        typedFp32.getInputsBuilder(0).setContents(floats);
        for (ModelInferRequest.Builder typed : List.of(typedUint8, typedFp32)) {
            ModelInferResponse r = stub.modelInfer(typed.build());
            assertThat(r.getRawOutputContentsList()).isEqualTo(raw.getRawOutputContentsList());
        }
        assertThat(raw.getOutputsList().stream().map(o -> o.getName() + o.getShapeList()))
                .containsExactly("probabilities[3, 10]", "class[3]", "confidence[3]", "exit_stage[3]");
        assertThat(raw.getParametersMap().get("labels").getStringParam()).startsWith("[\"");
        assertThat(raw.getParametersMap().get("macs_fraction").getDoubleParam()).isBetween(0.0, 1.0);
    }

    /** Triton's client sends its class_count argument as the output parameter "classification". */
    @Test
    void classificationAnswersTopClassesAsBytes() {
        ModelInferResponse r = stub.modelInfer(request(0, 1, "UINT8")
                .addRawInputContents(uint8(0, 1))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                        .setName("probabilities")
                        .putParameters(
                                "classification",
                                InferParameter.newBuilder().setInt64Param(2).build()))
                .build());
        assertThat(r.getOutputs(0).getDatatype()).isEqualTo("BYTES");
        assertThat(r.getOutputs(0).getShapeList()).containsExactly(1L, 2L);
        ByteBuffer b = r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<String> top = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] s = new byte[b.getInt()];
            b.get(s);
            top.add(new String(s, StandardCharsets.UTF_8));
        }
        assertThat(top).hasSize(2).allMatch(s -> s.matches("\\d\\.\\d+(E-\\d+)?:[0-9]:.+"));
    }

    @Test
    void mistakesAreInvalidArgumentWithHttpsMessages() {
        Http http = new Http(httpPort);
        String misspelt = http.postJson(
                        "/v2/models/" + MODEL + "/infer", ShippedModel.inferBody(0, 1, "{\"treshold\":0.5}"))
                .json()
                .get("error")
                .asString();
        Map<ModelInferRequest, String> cases = Map.of(
                request(0, 1, "UINT8")
                        .putParameters(
                                "treshold",
                                InferParameter.newBuilder().setDoubleParam(0.5).build())
                        .addRawInputContents(uint8(0, 1))
                        .build(),
                misspelt,
                request(0, 1, "UINT8").addRawInputContents(uint8(0, 2)).build(),
                "raw_input_contents[0] has 1568 bytes but inputs[0] needs 784",
                request(0, 1, "INT64").addRawInputContents(uint8(0, 1)).build(),
                "datatype 'INT64' not supported",
                request(0, 1, "FP32").build(),
                "inputs[0].contents must be given",
                request(0, 1, "UINT8")
                        .addRawInputContents(uint8(0, 1))
                        .addRawInputContents(uint8(0, 1))
                        .build(),
                "raw_input_contents has 2 entries but the request has 1 inputs",
                request(0, 1, "UINT8")
                        .putParameters("mode", text("fastest"))
                        .addRawInputContents(uint8(0, 1))
                        .build(),
                "unknown mode 'fastest'");
        cases.forEach((request, message) -> assertThatThrownBy(() -> stub.modelInfer(request))
                .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, message)));
        assertThatThrownBy(() -> stub.modelInfer(request(0, 1, "UINT8")
                        .setModelName("nothing")
                        .addRawInputContents(uint8(0, 1))
                        .build()))
                .satisfies(e -> assertStatus(e, Status.Code.NOT_FOUND, "unknown model nothing"));
    }

    @Test
    void requestsAreCountedLikeHttpOnes() {
        long before = requests("full", "success");
        long invalidBefore = requests("full", "invalid");
        stub.modelInfer(request(0, 1, "UINT8")
                .putParameters("mode", text("full"))
                .addRawInputContents(uint8(0, 1))
                .build());
        assertThatThrownBy(() -> stub.modelInfer(request(0, 1, "UINT8")
                .putParameters("mode", text("full"))
                .addRawInputContents(uint8(0, 2))
                .build()));
        assertThat(requests("full", "success")).isEqualTo(before + 1);
        assertThat(requests("full", "invalid")).isEqualTo(invalidBefore + 1);
    }

    /** Triton's clients compress with gzip or deflate (compression_algorithm); both are read. */
    @Test
    void compressedRequestsAreReadWithGzipAndDeflate() throws InterruptedException {
        io.grpc.CompressorRegistry compressors = io.grpc.CompressorRegistry.newEmptyInstance();
        compressors.register(new io.grpc.Codec.Gzip());
        compressors.register(new ZlibDeflate());
        ManagedChannel compressing = NettyChannelBuilder.forAddress("localhost", grpc.port())
                .usePlaintext()
                .compressorRegistry(compressors)
                .build();
        try {
            ModelInferRequest request =
                    request(4, 2, "UINT8").addRawInputContents(uint8(4, 2)).build();
            ModelInferResponse plain = stub.modelInfer(request);
            for (String encoding : List.of("gzip", "deflate")) {
                ModelInferResponse compressed = GRPCInferenceServiceGrpc.newBlockingStub(compressing)
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .withCompression(encoding)
                        .modelInfer(request);
                assertThat(compressed.getRawOutputContentsList())
                        .as(encoding)
                        .isEqualTo(plain.getRawOutputContentsList());
            }
        } finally {
            compressing.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** gRPC core's deflate (zlib), as Triton's Python client sends it. */
    private static final class ZlibDeflate implements io.grpc.Codec {
        @Override
        public String getMessageEncoding() {
            return "deflate";
        }

        @Override
        public java.io.OutputStream compress(java.io.OutputStream os) {
            return new java.util.zip.DeflaterOutputStream(os);
        }

        @Override
        public java.io.InputStream decompress(java.io.InputStream is) {
            return new java.util.zip.InflaterInputStream(is);
        }
    }

    /** Server reflection in v1 and in v1alpha (grpcurl before 1.9, Python's reflection client). */
    @Test
    void reflectionListsTheServiceInBothVersions() throws Exception {
        java.util.concurrent.CompletableFuture<List<String>> v1 = new java.util.concurrent.CompletableFuture<>();
        io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel)
                .serverReflectionInfo(new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
                        v1.complete(r.getListServicesResponse().getServiceList().stream()
                                .map(io.grpc.reflection.v1.ServiceResponse::getName)
                                .toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        v1.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                })
                .onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
                        .setListServices("")
                        .build());
        java.util.concurrent.CompletableFuture<List<String>> v1alpha = new java.util.concurrent.CompletableFuture<>();
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
                .serverReflectionInfo(new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1alpha.ServerReflectionResponse r) {
                        v1alpha.complete(r.getListServicesResponse().getServiceList().stream()
                                .map(io.grpc.reflection.v1alpha.ServiceResponse::getName)
                                .toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        v1alpha.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                })
                .onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                        .setListServices("")
                        .build());
        assertThat(v1.get(30, TimeUnit.SECONDS)).contains("inference.GRPCInferenceService");
        assertThat(v1alpha.get(30, TimeUnit.SECONDS)).contains("inference.GRPCInferenceService");
    }

    private long requests(String mode, String outcome) {
        Timer t = meters.find("lctserve.requests")
                .tags("model", MODEL, "mode", mode, "outcome", outcome)
                .timer();
        return t == null ? 0 : t.count();
    }

    private static ModelInferRequest.Builder request(int from, int count, String datatype) {
        return ModelInferRequest.newBuilder()
                .setModelName(MODEL)
                .setId("request-" + from)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype(datatype)
                        .addAllShape(List.of((long) count, 1L, 28L, 28L)));
    }

    private static InferParameter text(String value) {
        return InferParameter.newBuilder().setStringParam(value).build();
    }

    private static ByteString uint8(int from, int count) {
        return ByteString.copyFrom(ShippedModel.testImages().pixels(), from * 784, count * 784);
    }

    private static ByteString fp32(int from, int count) {
        ByteBuffer b = ByteBuffer.allocate(count * 784 * 4).order(ByteOrder.LITTLE_ENDIAN);
        byte[] pixels = ShippedModel.testImages().pixels();
        for (int i = from * 784; i < (from + count) * 784; i++) {
            b.putFloat((pixels[i] & 0xFF) / 255f);
        }
        return ByteString.copyFrom(b.array());
    }

    private static void assertSameAnswer(ModelInferResponse grpc, JsonNode json) {
        assertThat(grpc.getModelName()).isEqualTo(json.get("model_name").asString());
        assertThat(grpc.getModelVersion()).isEqualTo(json.get("model_version").asString());
        for (int o = 0; o < grpc.getOutputsCount(); o++) {
            JsonNode out = json.get("outputs").get(o);
            assertThat(grpc.getOutputs(o).getName()).isEqualTo(out.get("name").asString());
            assertThat(grpc.getOutputs(o).getDatatype())
                    .isEqualTo(out.get("datatype").asString());
            ByteBuffer raw = grpc.getRawOutputContents(o).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            JsonNode data = out.get("data");
            for (int i = 0; i < data.size(); i++) {
                switch (grpc.getOutputs(o).getDatatype()) {
                    case "FP32" ->
                        assertThat(raw.getFloat()).isEqualTo(data.get(i).floatValue());
                    case "INT64" ->
                        assertThat(raw.getLong()).isEqualTo(data.get(i).longValue());
                    case "INT32" ->
                        assertThat(raw.getInt()).isEqualTo(data.get(i).intValue());
                    default -> throw new AssertionError(grpc.getOutputs(o).getDatatype());
                }
            }
            assertThat(raw.hasRemaining()).isFalse();
        }
        assertThat(grpc.getParametersMap().get("rule").getStringParam())
                .isEqualTo(json.get("parameters").get("rule").asString());
        assertThat(grpc.getParametersMap().get("macs_fraction").getDoubleParam())
                .isEqualTo(json.get("parameters").get("macs_fraction").doubleValue());
    }

    private static void assertStatus(Throwable e, Status.Code code, String message) {
        assertThat(e).isInstanceOf(StatusRuntimeException.class);
        Status s = ((StatusRuntimeException) e).getStatus();
        assertThat(s.getCode()).as(s.toString()).isEqualTo(code);
        assertThat(s.getDescription()).contains(message);
    }
}
