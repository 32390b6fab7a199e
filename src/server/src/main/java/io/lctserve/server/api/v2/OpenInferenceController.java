package io.lctserve.server.api.v2;

import ai.onnxruntime.OrtException;
import io.lctserve.server.api.KnobBinder;
import io.lctserve.server.api.ModelLookup;
import io.lctserve.server.api.RequestRecord;
import io.lctserve.server.api.ServerIdentity;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.inference.ModelInput;
import io.lctserve.server.lifecycle.ServerReadiness;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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
import tools.jackson.databind.json.JsonMapper;

/** The Open Inference Protocol (KServe V2) REST endpoints. */
@RestController
@RequestMapping(path = "/v2", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Open Inference Protocol (V2)")
class OpenInferenceController {

    private final BatchingEngine batching;
    private final InferenceMetrics metrics;
    private final ModelRegistry registry;
    private final ServerReadiness readiness;
    private final ModelLookup lookup;
    private final InferenceService inference;
    private final ServerIdentity identity;
    private final int maxBatch;
    private final JsonMapper json;

    OpenInferenceController(
            BatchingEngine batching,
            InferenceMetrics metrics,
            ModelRegistry registry,
            ServerReadiness readiness,
            ModelLookup lookup,
            InferenceService inference,
            LctServeProperties properties,
            JsonMapper json,
            ServerIdentity identity) {
        this.batching = batching;
        this.metrics = metrics;
        this.json = json;
        this.registry = registry;
        this.readiness = readiness;
        this.maxBatch = properties.maxBatch();
        this.lookup = lookup;
        this.inference = inference;
        this.identity = identity;
    }

    @GetMapping("/health/live")
    Map<String, Object> live() {
        return Map.of("live", true);
    }

    @GetMapping("/health/ready")
    ResponseEntity<Map<String, Object>> ready() {
        boolean ready = readiness.ready();
        return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .body(Map.of("ready", ready));
    }

    @GetMapping({"", "/"})
    Map<String, Object> server() {
        return Map.of("name", identity.name(), "version", identity.version(), "extensions", ServerIdentity.EXTENSIONS);
    }

    @GetMapping("/models")
    @Operation(summary = "The models this server serves, by name (as KServe lists them)")
    Map<String, Object> models() {
        return Map.of("models", registry.names());
    }

    @GetMapping({"/models/{name}", "/models/{name}/versions/{version}"})
    @Operation(summary = "Model metadata: input, outputs, labels, stages, presets and measured accuracy")
    ModelMetadata metadata(@PathVariable String name, @PathVariable(required = false) String version) {
        return ModelMetadata.of(lookup.find(name, version), registry.versions(name));
    }

    @GetMapping({"/models/{name}/config", "/models/{name}/versions/{version}/config"})
    @Operation(summary = "The model's configuration as Triton gives it (for Triton clients' get_model_config)")
    ModelConfig config(@PathVariable String name, @PathVariable(required = false) String version) {
        LoadedModel model = lookup.find(name, version);
        return ModelConfig.of(model, maxBatch, batching.scheduler(model));
    }

    @GetMapping({"/models/stats", "/models/{name}/stats", "/models/{name}/versions/{version}/stats"})
    @Operation(
            summary = "Triton's statistics: requests by outcome with their times, queue and compute time"
                    + " (per model name: its versions share them)")
    Map<String, Object> stats(
            @PathVariable(required = false) String name, @PathVariable(required = false) String version) {
        List<String> names = name == null
                ? registry.names()
                : List.of(lookup.find(name, version).name());
        List<Map<String, Object>> stats = new ArrayList<>();
        for (String n : names) {
            stats.add(metrics.model(registry.find(n, null).orElseThrow()).tritonStats());
        }
        return Map.of("model_stats", stats);
    }

    @GetMapping({"/models/{name}/ready", "/models/{name}/versions/{version}/ready"})
    Map<String, Object> modelReady(@PathVariable String name, @PathVariable(required = false) String version) {
        LoadedModel model = lookup.find(name, version);
        return Map.of("name", model.name(), "version", model.version(), "ready", true);
    }

    @PostMapping(
            path = {"/models/{name}/infer", "/models/{name}/versions/{version}/infer"},
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
            content = @Content(schema = @Schema(implementation = InferResponse.class)))
    ResponseEntity<Object> infer(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestBody InferRequest request,
            @RequestAttribute(RequestRecord.ATTRIBUTE) RequestRecord record)
            throws OrtException, InterruptedException {
        return infer(name, version, request, null, record);
    }

    @PostMapping(
            path = {"/models/{name}/infer", "/models/{name}/versions/{version}/infer"},
            consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    // springdoc documents this with the JSON operation above: the same path, its other content types.
    // A body with no content type (Triton's client in JSON mode) is read as JSON unless the binary
    // extension's header says where its JSON ends.
    ResponseEntity<Object> inferBinary(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestHeader(value = BinaryTensorRequest.HEADER, required = false) String headerLength,
            @RequestBody byte[] body,
            @RequestAttribute(RequestRecord.ATTRIBUTE) RequestRecord record)
            throws OrtException, InterruptedException {
        BinaryTensorRequest binary = BinaryTensorRequest.parse(body, headerLength, json);
        return infer(name, version, binary.request(), binary.tensors(), record);
    }

    /**
     * {@code curl -d @request.json} sends a form content type (the KServe docs' own examples): the
     * body is read as it came, not as form fields, and then as inferBinary reads it.
     */
    @PostMapping(
            path = {"/models/{name}/infer", "/models/{name}/versions/{version}/infer"},
            consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
    ResponseEntity<Object> inferForm(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestHeader(value = BinaryTensorRequest.HEADER, required = false) String headerLength,
            HttpServletRequest http,
            @RequestAttribute(RequestRecord.ATTRIBUTE) RequestRecord record)
            throws OrtException, InterruptedException, IOException {
        return inferBinary(name, version, headerLength, http.getInputStream().readAllBytes(), record);
    }

    private ResponseEntity<Object> infer(
            String name, String version, InferRequest request, ByteBuffer binary, RequestRecord record)
            throws OrtException, InterruptedException {
        LoadedModel model = lookup.find(name, version);
        record.model(model);
        KnobBinder.Bound bound = KnobBinder.bindProtocol(request.parameters());
        record.knob(bound.knob());
        List<String> ignored = new ArrayList<>(bound.ignored());
        Object binaryOutput =
                request.parameters() == null ? null : request.parameters().get(KnobBinder.BINARY_DATA_OUTPUT);
        List<InferResponse.Wanted> outputs = InferResponse.requestedOutputs(
                request.outputs(),
                model.classes(),
                binaryOutput != null && InferResponse.flag(binaryOutput, KnobBinder.BINARY_DATA_OUTPUT),
                ignored);
        ModelInput input =
                TensorDecoder.decode(request.inputs(), model.manifest().input(), maxBatch, binary);
        InferenceResult result = inference.infer(model, input, bound.knob(), record.receivedNanos(), false);
        return BinaryTensorResponse.of(InferResponse.of(model, request.id(), result, outputs, ignored), outputs, json);
    }
}
