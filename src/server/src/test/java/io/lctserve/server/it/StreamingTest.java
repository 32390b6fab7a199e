package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.InferParameter;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import io.lctserve.protocol.grpc.ModelStreamInferResponse;
import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.server.grpc.GrpcServer;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.model.ModelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Progressive answers on the real server and the shipped model: over gRPC's ModelStreamInfer and
 * HTTP's infer_stream, one answer per head consulted in stage order, the last flagged final and
 * equal to the unary answer for the same knob; a cancelled stream runs no further stage; a failed
 * request on a stream ends only that request. One compute slot, so the test can hold all compute.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "lctserve.max-concurrent-inferences=1")
class StreamingTest {

    private static final String MODEL = ShippedModel.NAME;
    private static final int IMAGES = 60;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int httpPort;

    @Autowired
    GrpcServer grpc;

    @Autowired
    MeterRegistry meters;

    @Autowired
    ApplicationContext context;

    ManagedChannel channel;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("localhost", grpc.port())
                .usePlaintext()
                .build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Every mode and preset, as request parameters. */
    private static Map<String, Map<String, InferParameter>> knobs() {
        Map<String, Map<String, InferParameter>> knobs = new LinkedHashMap<>();
        for (String preset : ShippedModel.manifest().presets().keySet()) {
            knobs.put("preset " + preset, Map.of("preset", text(preset)));
        }
        knobs.put("threshold 0.9", Map.of("threshold", number(0.9)));
        knobs.put("threshold 1", Map.of("threshold", number(1.0)));
        knobs.put("ensemble", Map.of("mode", text("ensemble")));
        knobs.put("full", Map.of("mode", text("full")));
        knobs.put("stage 1", Map.of("mode", text("stage"), "max_stage", whole(1)));
        knobs.put("early exit to stage 2", Map.of("threshold", number(0.95), "max_stage", whole(2)));
        return knobs;
    }

    @Test
    void theLastStreamedAnswerIsTheUnaryAnswerForEveryModeAndPreset() throws Exception {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub unary =
                GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        double firstAnswersBefore = firstAnswers();
        GrpcStream stream = new GrpcStream(channel);
        Map<String, ModelInferResponse> expected = new HashMap<>();
        Map<String, Boolean> everyHead = new HashMap<>();
        for (Map.Entry<String, Map<String, InferParameter>> knob : knobs().entrySet()) {
            for (int i = 0; i < IMAGES; i++) {
                String id = knob.getKey() + " #" + i;
                ModelInferRequest.Builder request = request(id, i).putAllParameters(knob.getValue());
                expected.put(id, unary.modelInfer(request.build()));
                everyHead.put(
                        id,
                        !knob.getValue().containsKey("mode") || knob.getKey().equals("ensemble"));
                stream.send(request.putParameters("progressive", flag(true)).build());
            }
        }
        Map<String, List<ModelInferResponse>> heard = byRequest(stream.finish());

        assertThat(heard.keySet()).isEqualTo(expected.keySet());
        for (Map.Entry<String, List<ModelInferResponse>> e : heard.entrySet()) {
            List<ModelInferResponse> answers = e.getValue();
            ModelInferResponse last = answers.get(answers.size() - 1);
            ModelInferResponse unaryAnswer = expected.get(e.getKey());
            int exit = ints(unaryAnswer, 3)[0];
            // one answer per head consulted, in stage order: early exit and the ensemble read heads
            // 0..exit, full and stage modes only the last
            List<Integer> stages = answers.stream().map(a -> ints(a, 3)[0]).toList();
            List<Integer> expectedStages = new ArrayList<>();
            for (int k = everyHead.get(e.getKey()) ? 0 : exit; k <= exit; k++) {
                expectedStages.add(k);
            }
            assertThat(stages).as(e.getKey()).isEqualTo(expectedStages);
            for (int j = 0; j < answers.size(); j++) {
                assertThat(answers.get(j)
                                .getParametersOrThrow("triton_final_response")
                                .getBoolParam())
                        .as(e.getKey() + " answer " + j)
                        .isEqualTo(j == answers.size() - 1);
            }
            assertSameAnswer(e.getKey(), last, unaryAnswer);
        }
        assertThat(firstAnswers() - firstAnswersBefore).isEqualTo(heard.size());
    }

    @Test
    void withoutProgressiveAStreamedRequestGetsOneAnswerAndAFailedOneDoesNotEndTheStream() throws Exception {
        List<ModelStreamInferResponse> responses = new GrpcStream(channel)
                .send(request("plain", 0).build())
                .send(request("unknown", 0).setModelName("nothing").build())
                .send(request("misspelt", 0)
                        .putParameters("treshold", number(0.5))
                        .build())
                .send(request("after", 1)
                        .putParameters("progressive", flag(false))
                        .build())
                .finish();

        assertThat(responses).hasSize(4);
        List<String> errors = responses.stream()
                .map(ModelStreamInferResponse::getErrorMessage)
                .filter(m -> !m.isEmpty())
                .toList();
        assertThat(errors)
                .anySatisfy(m -> assertThat(m).startsWith("NOT_FOUND").contains("unknown model nothing"))
                .anySatisfy(m -> assertThat(m).startsWith("INVALID_ARGUMENT").contains("did you mean 'threshold'"));
        Map<String, List<ModelInferResponse>> answered = byRequest(responses);
        assertThat(answered.keySet()).containsExactlyInAnyOrder("plain", "after");
        answered.values().forEach(answers -> assertThat(answers).hasSize(1).allSatisfy(a -> assertThat(
                        a.getParametersOrThrow("triton_final_response").getBoolParam())
                .isTrue()));
    }

    @Test
    void aCancelledStreamTakesItsRequestOutOfTheQueuesUnrun() throws Exception {
        BatchScheduler scheduler = context.getBean(BatchingEngine.class)
                .scheduler(
                        context.getBean(ModelRegistry.class).find(MODEL, null).orElseThrow());
        double stage0Before = stageRuns(0);
        double cancelledBefore = meters.get("lctserve.stream.cancelled")
                .tag("model", MODEL)
                .counter()
                .count();
        try (HeldComputeSlot slot = HeldComputeSlot.take(context)) {
            GrpcStream stream = new GrpcStream(channel)
                    .send(request("held", 0)
                            .putParameters("threshold", number(1.0))
                            .putParameters("progressive", flag(true))
                            .build());
            await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.queueLengths()[0] == 1);

            stream.cancel();

            await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.queueLengths()[0] == 0);
            assertThat(meters.get("lctserve.stream.cancelled")
                            .tag("model", MODEL)
                            .counter()
                            .count())
                    .isEqualTo(cancelledBefore + 1);
        }
        // the slot is free: a request for stage 0 alone runs, and is the only stage-0 run since
        GRPCInferenceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .modelInfer(request("after", 1)
                        .putParameters("mode", text("stage"))
                        .putParameters("max_stage", whole(0))
                        .build());
        assertThat(stageRuns(0)).isEqualTo(stage0Before + 1);
    }

    @Test
    void aPauseAfterEachAnswerGivesTheClientTimeToStopBeforeTheNextStage() throws Exception {
        double stage1Before = stageRuns(1);
        double cancelledBefore = meters.get("lctserve.stream.cancelled")
                .tag("model", MODEL)
                .counter()
                .count();
        // threshold 1 would run every stage; a second's pause after head 0's answer leaves the
        // client all the time it needs to stop there
        GrpcStream stream = new GrpcStream(channel)
                .send(request("paused", 2)
                        .putParameters("threshold", number(1.0))
                        .putParameters("progressive", flag(true))
                        .putParameters("progressive_pause_ms", number(1000))
                        .build());
        stream.awaitFirstResponse();
        stream.cancel();

        await().atMost(Duration.ofSeconds(30))
                .until(() -> meters.get("lctserve.stream.cancelled")
                                .tag("model", MODEL)
                                .counter()
                                .count()
                        == cancelledBefore + 1);
        assertThat(stream.responses).hasSize(1);
        assertThat(ints(stream.responses.get(0).getInferResponse(), 3)).containsExactly(0);
        assertThat(stageRuns(1)).isEqualTo(stage1Before);

        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub unary =
                GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> unary.modelInfer(request("unary", 2)
                        .putParameters("progressive_pause_ms", number(5))
                        .build()))
                .hasMessageContaining("progressive_pause_ms is a pause after each progressive answer");
        assertThatThrownBy(() -> unary.modelInfer(request("unary", 2)
                        .putParameters("progressive_pause_ms", number(-1))
                        .build()))
                .hasMessageContaining("progressive_pause_ms must be a number of milliseconds in [0, 1000]");
    }

    @Test
    void httpInferStreamSendsAnEventPerHeadEndingWithTheUnaryAnswer() {
        Http http = new Http(httpPort);
        String body = ShippedModel.inferBody(3, 1, "{\"threshold\": 1.0}");
        Http.Reply unary = http.postJson("/v2/models/" + MODEL + "/infer", body);
        Http.Reply stream = http.postJson("/v2/models/" + MODEL + "/infer_stream", body);

        assertThat(stream.status()).isEqualTo(200);
        List<JsonNode> events = stream.body()
                .lines()
                .filter(line -> line.startsWith("data:"))
                .map(line -> JSON.readTree(line.substring("data:".length())))
                .toList();
        int heads = ShippedModel.manifest().stages().size();
        assertThat(events).hasSize(heads); // threshold 1: every head is read
        for (int k = 0; k < heads; k++) {
            JsonNode event = events.get(k);
            assertThat(output(event, "exit_stage").get(0).asInt()).isEqualTo(k);
            assertThat(event.get("parameters").get("triton_final_response").asBoolean())
                    .isEqualTo(k == heads - 1);
        }
        JsonNode last = events.get(heads - 1);
        JsonNode expected = unary.json();
        for (String name : List.of("class", "exit_stage", "probabilities", "confidence")) {
            assertThat(output(last, name)).as(name).isEqualTo(output(expected, name));
        }
        assertThat(last.get("parameters").get("macs_fraction"))
                .isEqualTo(expected.get("parameters").get("macs_fraction"));

        Http.Reply declined = http.postJson(
                "/v2/models/" + MODEL + "/infer_stream", ShippedModel.inferBody(3, 1, "{\"progressive\": false}"));
        assertThat(declined.body().lines().filter(l -> l.startsWith("data:"))).hasSize(1);
    }

    @Test
    void aStreamThatCannotStartIsAnOrdinaryErrorAnswer() {
        Http http = new Http(httpPort);
        Http.Reply unknown = http.postJson("/v2/models/nothing/infer_stream", ShippedModel.inferBody(0, 1, null));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").asText()).contains("unknown model nothing");

        Http.Reply invalid = http.postJson(
                "/v2/models/" + MODEL + "/infer_stream", ShippedModel.inferBody(0, 1, "{\"mode\": \"fastest\"}"));
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().get("error").asText()).contains("unknown mode 'fastest'");

        Http.Reply unary = http.postJson(
                "/v2/models/" + MODEL + "/infer", ShippedModel.inferBody(0, 1, "{\"progressive\": true}"));
        assertThat(unary.status()).isEqualTo(400);
        assertThat(unary.json().get("error").asText()).contains("infer_stream");
    }

    private static JsonNode output(JsonNode answer, String name) {
        for (JsonNode o : answer.get("outputs")) {
            if (o.get("name").asText().equals(name)) {
                return o.get("data");
            }
        }
        throw new AssertionError("no output " + name + " in " + answer);
    }

    private double stageRuns(int stage) {
        return meters.get("lctserve.stage.compute")
                .tag("model", MODEL)
                .tag("stage", Integer.toString(stage))
                .timer()
                .count();
    }

    private double firstAnswers() {
        return meters.get("lctserve.first.answer").tag("model", MODEL).timer().count();
    }

    private static void assertSameAnswer(String what, ModelInferResponse streamed, ModelInferResponse unary) {
        assertThat(ints(streamed, 3)).as(what + " exit stage").isEqualTo(ints(unary, 3));
        assertThat(longs(streamed, 1)).as(what + " class").isEqualTo(longs(unary, 1));
        float[] p = floats(streamed, 0);
        float[] q = floats(unary, 0);
        assertThat(p).hasSameSizeAs(q);
        for (int c = 0; c < p.length; c++) {
            assertThat(p[c]).as(what + " probability " + c).isCloseTo(q[c], within(1e-5f));
        }
        assertThat(streamed.getParametersOrThrow("macs_fraction").getDoubleParam())
                .as(what + " compute")
                .isEqualTo(unary.getParametersOrThrow("macs_fraction").getDoubleParam());
    }

    private static Map<String, List<ModelInferResponse>> byRequest(List<ModelStreamInferResponse> responses) {
        Map<String, List<ModelInferResponse>> byId = new LinkedHashMap<>();
        for (ModelStreamInferResponse r : responses) {
            if (r.getErrorMessage().isEmpty()) {
                byId.computeIfAbsent(r.getInferResponse().getId(), id -> new ArrayList<>())
                        .add(r.getInferResponse());
            }
        }
        return byId;
    }

    private static ModelInferRequest.Builder request(String id, int image) {
        return ModelInferRequest.newBuilder()
                .setModelName(MODEL)
                .setId(id)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype("UINT8")
                        .addAllShape(List.of(1L, 1L, 28L, 28L)))
                .addRawInputContents(
                        ByteString.copyFrom(ShippedModel.testImages().pixels(), image * 784, 784));
    }

    private static ByteBuffer raw(ModelInferResponse r, int output) {
        return r.getRawOutputContents(output).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static float[] floats(ModelInferResponse r, int output) {
        ByteBuffer b = raw(r, output);
        float[] v = new float[b.remaining() / Float.BYTES];
        b.asFloatBuffer().get(v);
        return v;
    }

    private static long[] longs(ModelInferResponse r, int output) {
        ByteBuffer b = raw(r, output);
        long[] v = new long[b.remaining() / Long.BYTES];
        b.asLongBuffer().get(v);
        return v;
    }

    private static int[] ints(ModelInferResponse r, int output) {
        ByteBuffer b = raw(r, output);
        int[] v = new int[b.remaining() / Integer.BYTES];
        b.asIntBuffer().get(v);
        return v;
    }

    private static InferParameter text(String value) {
        return InferParameter.newBuilder().setStringParam(value).build();
    }

    private static InferParameter number(double value) {
        return InferParameter.newBuilder().setDoubleParam(value).build();
    }

    private static InferParameter whole(long value) {
        return InferParameter.newBuilder().setInt64Param(value).build();
    }

    private static InferParameter flag(boolean value) {
        return InferParameter.newBuilder().setBoolParam(value).build();
    }
}
