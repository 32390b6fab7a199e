package io.lctserve.server.http.v2;

import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.batching.Caller;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.http.edge.AdmissionFilter;
import io.lctserve.server.http.edge.InferenceRoutes;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.inference.InferenceCall;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.inference.ModelLookup;
import io.lctserve.server.lifecycle.ServerReadiness;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import io.lctserve.server.protocol.InferAnswer;
import io.lctserve.server.protocol.InferRequest;
import io.lctserve.server.protocol.ModelConfig;
import io.lctserve.server.protocol.ModelMetadata;
import io.lctserve.server.protocol.OpenInferenceCall;
import io.lctserve.server.protocol.ServerIdentity;
import io.lctserve.server.protocol.Statistics;
import io.lctserve.server.protocol.TensorDecoder;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.json.JsonMapper;

/** The Open Inference Protocol (KServe V2) REST endpoints. */
@RestController
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Open Inference Protocol (V2)")
class OpenInferenceController {

    private final BatchingEngine batching;
    private final Statistics statistics;
    private final ModelRegistry registry;
    private final ServerReadiness readiness;
    private final ModelLookup lookup;
    private final InferenceService inference;
    private final UnaryInfer unary;
    private final ServerIdentity identity;
    private final int maxBatch;
    private final JsonMapper json;

    OpenInferenceController(
            BatchingEngine batching,
            Statistics statistics,
            ModelRegistry registry,
            ServerReadiness readiness,
            ModelLookup lookup,
            InferenceService inference,
            LctServeProperties properties,
            JsonMapper json,
            ServerIdentity identity) {
        this.batching = batching;
        this.statistics = statistics;
        this.json = json;
        this.registry = registry;
        this.readiness = readiness;
        this.maxBatch = properties.maxBatch();
        this.lookup = lookup;
        this.inference = inference;
        this.unary = new UnaryInfer(inference, maxBatch, json);
        this.identity = identity;
    }

    @GetMapping("/v2/health/live")
    Map<String, Object> live() {
        return Map.of("live", true);
    }

    @GetMapping("/v2/health/ready")
    ResponseEntity<Map<String, Object>> ready() {
        boolean ready = readiness.ready();
        return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .body(Map.of("ready", ready));
    }

    @GetMapping({"/v2", "/v2/"})
    Map<String, Object> server() {
        return Map.of("name", identity.name(), "version", identity.version(), "extensions", ServerIdentity.EXTENSIONS);
    }

    @GetMapping("/v2/models")
    @Operation(summary = "The models this server serves, by name (as KServe lists them)")
    Map<String, Object> models() {
        return Map.of("models", registry.names());
    }

    @GetMapping({"/v2/models/{name}", "/v2/models/{name}/versions/{version}"})
    @Operation(summary = "Model metadata: input, outputs, labels, stages, presets and measured accuracy")
    ModelMetadata metadata(@PathVariable String name, @PathVariable(required = false) String version) {
        return ModelMetadata.of(lookup.find(name, version), registry.versions(name));
    }

    @GetMapping({"/v2/models/{name}/config", "/v2/models/{name}/versions/{version}/config"})
    @Operation(summary = "The model's configuration as Triton gives it (for Triton clients' get_model_config)")
    ModelConfig config(@PathVariable String name, @PathVariable(required = false) String version) {
        LoadedModel model = lookup.find(name, version);
        return ModelConfig.of(model, maxBatch, batching.scheduler(model));
    }

    @GetMapping({"/v2/models/stats", "/v2/models/{name}/stats", "/v2/models/{name}/versions/{version}/stats"})
    @Operation(
            summary = "Triton's statistics: requests by outcome with their times, queue and compute time,"
                    + " one entry per model version")
    Map<String, Object> stats(
            @PathVariable(required = false) String name, @PathVariable(required = false) String version) {
        return Map.of("model_stats", statistics.of(name, version));
    }

    @GetMapping({"/v2/models/{name}/ready", "/v2/models/{name}/versions/{version}/ready"})
    Map<String, Object> modelReady(@PathVariable String name, @PathVariable(required = false) String version) {
        LoadedModel model = lookup.find(name, version);
        return Map.of("name", model.name(), "version", model.version(), "ready", true);
    }

    @PostMapping(
            path = {InferenceRoutes.INFER, InferenceRoutes.INFER_VERSION},
            consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            summary = "Classify a batch; parameters choose mode, rule, threshold or preset, max_stage and deadline_ms",
            description = "The body is the JSON request (application/json), or in the binary tensor data extension"
                    + " (application/octet-stream): the JSON request in the first Inference-Header-Content-Length"
                    + " bytes, then the input tensor as raw little-endian bytes, sized by"
                    + " inputs[0].parameters.binary_data_size.")
    @ApiResponse(
            responseCode = "200",
            description = "The answer: JSON, or with binary outputs asked for the binary tensor data extension",
            content = @Content(schema = @Schema(implementation = InferAnswer.class)))
    ResponseEntity<Object> infer(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestBody InferRequest request,
            @RequestAttribute(name = AdmissionFilter.ARRIVED, required = false) Long arrived)
            throws InterruptedException {
        return infer(name, version, request, null, arrived);
    }

    @PostMapping(
            path = {InferenceRoutes.INFER, InferenceRoutes.INFER_VERSION},
            consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    // springdoc documents this with the JSON operation above: the same path, its other content types.
    // A body with no content type (Triton's client in JSON mode) is read as JSON unless the binary
    // extension's header says where its JSON ends.
    ResponseEntity<Object> inferBinary(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestHeader(value = BinaryTensorRequest.HEADER, required = false) String headerLength,
            @RequestBody byte[] body,
            @RequestAttribute(name = AdmissionFilter.ARRIVED, required = false) Long arrived)
            throws InterruptedException {
        BinaryTensorRequest binary = BinaryTensorRequest.parse(body, headerLength, json);
        return infer(name, version, binary.request(), binary.tensors(), arrived);
    }

    /**
     * {@code curl -d @request.json} sends a form content type (the KServe docs' own examples): the
     * body is read as it came, not as form fields, and then as inferBinary reads it.
     */
    @PostMapping(
            path = {InferenceRoutes.INFER, InferenceRoutes.INFER_VERSION},
            consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
    ResponseEntity<Object> inferForm(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestHeader(value = BinaryTensorRequest.HEADER, required = false) String headerLength,
            HttpServletRequest http,
            @RequestAttribute(name = AdmissionFilter.ARRIVED, required = false) Long arrived)
            throws InterruptedException, IOException {
        return inferBinary(name, version, headerLength, http.getInputStream().readAllBytes(), arrived);
    }

    private ResponseEntity<Object> infer(
            String name, String version, InferRequest request, ByteBuffer binary, Long arrived)
            throws InterruptedException {
        return unary.answer(name, version, request, binary, arrived);
    }

    /**
     * The same request answered as Server-Sent Events: one {@code data:} event per head consulted,
     * each a JSON answer, the last with {@code triton_final_response: true} and equal to the unary
     * answer ({@code progressive: false} asks for that one only). A client that closes the
     * connection stops its request: no further stage runs for it.
     */
    @PostMapping(
            path = {InferenceRoutes.INFER_STREAM, InferenceRoutes.INFER_STREAM_VERSION},
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(summary = "Classify a batch and stream an answer per head consulted (text/event-stream)")
    SseEmitter inferStream(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestBody InferRequest request,
            @RequestAttribute(name = AdmissionFilter.ARRIVED, required = false) Long arrived) {
        OpenInferenceCall call = new OpenInferenceCall(
                request.id(),
                request.parameters(),
                request.outputs(),
                OpenInferenceCall.Encoding.JSON,
                OpenInferenceCall.Answers.EVERY_HEAD_UNLESS_DECLINED,
                spec -> TensorDecoder.decode(request.inputs(), spec, maxBatch, null));
        return new AnswerEvents(call, json)
                .start(
                        inference,
                        new InferenceCall(
                                name,
                                version,
                                call,
                                UnaryInfer.arrivedOrNow(arrived),
                                ExitPlan.NO_DEADLINE,
                                Caller.MUST_NOT_BLOCK));
    }
}
