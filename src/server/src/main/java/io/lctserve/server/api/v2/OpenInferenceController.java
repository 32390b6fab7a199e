package io.lctserve.server.api.v2;

import ai.onnxruntime.OrtException;
import io.lctserve.server.api.ModelLookup;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.inference.SampleResult;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.info.BuildProperties;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
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

    static final String PROBABILITIES = "probabilities";
    static final String CLASS = "class";
    static final String CONFIDENCE = "confidence";
    static final String EXIT_STAGE = "exit_stage";
    private static final Set<String> OUTPUTS = Set.of(PROBABILITIES, CLASS, CONFIDENCE, EXIT_STAGE);

    private final ModelRegistry registry;
    private final ApplicationAvailability availability;
    private final ModelLookup lookup;
    private final InferenceService inference;
    private final String serverVersion;
    private final int maxBatch;
    private final JsonMapper json;

    OpenInferenceController(
            ModelRegistry registry,
            ApplicationAvailability availability,
            ModelLookup lookup,
            InferenceService inference,
            LctServeProperties properties,
            JsonMapper json,
            ObjectProvider<BuildProperties> build) {
        this.json = json;
        this.registry = registry;
        this.availability = availability;
        this.maxBatch = properties.maxBatch();
        this.lookup = lookup;
        this.inference = inference;
        BuildProperties props = build.getIfAvailable();
        this.serverVersion = props == null ? "dev" : props.getVersion();
    }

    @GetMapping("/health/live")
    Map<String, Object> live() {
        return Map.of("live", true);
    }

    @GetMapping("/health/ready")
    ResponseEntity<Map<String, Object>> ready() {
        // Same answer as /actuator/health/readiness: models loaded and not draining for shutdown.
        boolean ready =
                !registry.all().isEmpty() && availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
        return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .body(Map.of("ready", ready));
    }

    @GetMapping
    Map<String, Object> server() {
        return Map.of(
                "name", "lctserve", "version", serverVersion, "extensions", List.of("lctserve_progressive_inference"));
    }

    @GetMapping({"/models/{name}", "/models/{name}/versions/{version}"})
    @Operation(summary = "Model metadata: input, outputs, labels, stages, presets and measured accuracy")
    ModelMetadata metadata(@PathVariable String name, @PathVariable(required = false) String version) {
        return ModelMetadata.of(lookup.find(name, version), registry.versions(name));
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
    InferResponse infer(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestBody InferRequest request)
            throws OrtException, InterruptedException {
        return infer(name, version, request, null, System.nanoTime());
    }

    @PostMapping(
            path = {"/models/{name}/infer", "/models/{name}/versions/{version}/infer"},
            consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    // springdoc documents this with the JSON operation above: the same path, its other content type
    InferResponse inferBinary(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestHeader(value = BinaryTensorRequest.HEADER, required = false) String headerLength,
            @RequestBody byte[] body)
            throws OrtException, InterruptedException {
        long received = System.nanoTime();
        BinaryTensorRequest binary = BinaryTensorRequest.parse(body, headerLength, json);
        return infer(name, version, binary.request(), binary.tensors(), received);
    }

    private InferResponse infer(String name, String version, InferRequest request, ByteBuffer binary, long received)
            throws OrtException, InterruptedException {
        LoadedModel model = lookup.find(name, version);
        List<String> wanted = requestedOutputs(request);
        InferenceResult result = inference.infer(
                model,
                () -> {
                    TensorDecoder.Decoded d = TensorDecoder.decode(
                            request.inputs(), model.manifest().input(), maxBatch, binary);
                    return new InferenceService.ModelInput(d.pixels(), d.shape());
                },
                request.parameters(),
                received,
                false);
        return response(model, request.id(), result, wanted);
    }

    private static List<String> requestedOutputs(InferRequest request) {
        if (request.outputs() == null || request.outputs().isEmpty()) {
            return List.of(PROBABILITIES, CLASS, CONFIDENCE, EXIT_STAGE);
        }
        return request.outputs().stream()
                .map(o -> {
                    if (o == null || !OUTPUTS.contains(o.name())) {
                        throw new InvalidRequestException("unknown output '" + (o == null ? null : o.name())
                                + "'; outputs are " + List.of(PROBABILITIES, CLASS, CONFIDENCE, EXIT_STAGE));
                    }
                    return o.name();
                })
                .toList();
    }

    private static InferResponse response(LoadedModel model, String id, InferenceResult result, List<String> wanted) {
        List<SampleResult> samples = result.samples();
        int n = samples.size();
        int classes = model.classes();
        List<InferResponse.Output> outputs = new java.util.ArrayList<>();
        for (String name : wanted) {
            switch (name) {
                case PROBABILITIES -> {
                    float[] p = new float[n * classes];
                    for (int i = 0; i < n; i++) {
                        System.arraycopy(samples.get(i).probabilities(), 0, p, i * classes, classes);
                    }
                    outputs.add(new InferResponse.Output(PROBABILITIES, "FP32", new long[] {n, classes}, p));
                }
                case CLASS ->
                    outputs.add(new InferResponse.Output(
                            CLASS,
                            "INT64",
                            new long[] {n},
                            samples.stream()
                                    .mapToLong(SampleResult::predictedClass)
                                    .toArray()));
                case CONFIDENCE -> {
                    float[] c = new float[n];
                    for (int i = 0; i < n; i++) {
                        c[i] = samples.get(i).confidence();
                    }
                    outputs.add(new InferResponse.Output(CONFIDENCE, "FP32", new long[] {n}, c));
                }
                case EXIT_STAGE ->
                    outputs.add(new InferResponse.Output(
                            EXIT_STAGE,
                            "INT32",
                            new long[] {n},
                            samples.stream().mapToInt(SampleResult::exitStage).toArray()));
                default -> throw new IllegalStateException(name);
            }
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put(
                "labels",
                samples.stream()
                        .map(s -> model.manifest().labels().get(s.predictedClass()))
                        .toList());
        parameters.put("rule", result.rule());
        parameters.put("deadline_cut", result.deadlineCut());
        parameters.put("macs_fraction", result.macsFull() == 0 ? 1.0 : result.macsUsed() / (double) result.macsFull());
        return new InferResponse(model.name(), model.version(), id, parameters, outputs);
    }
}
