package io.lctserve.server.api.v1;

import ai.onnxruntime.OrtException;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.SampleResult;
import io.lctserve.server.api.KnobBinder;
import io.lctserve.server.api.ModelLookup;
import io.lctserve.server.api.RequestRecord;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.inference.Knob;
import io.lctserve.server.inference.ModelInput;
import io.lctserve.server.model.LoadedModel;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/** {@code POST /v1/models/{name}/classify}: one image in, a label and how it was reached out. */
@RestController
@Tag(name = "Classify (for people)")
class ClassifyController {

    private static final String INVERT = "invert";

    private final ModelLookup lookup;
    private final InferenceService inference;
    private final long maxImagePixels;

    ClassifyController(ModelLookup lookup, InferenceService inference, LctServeProperties properties) {
        this.lookup = lookup;
        this.inference = inference;
        this.maxImagePixels = properties.maxImagePixels();
    }

    /** Pixels as JSON, flat or nested, in [0, 1]; the knob as in V2 {@code parameters}. */
    record PixelsRequest(List<Object> pixels, Map<String, Object> parameters) {}

    @PostMapping(
            path = {"/v1/models/{name}/classify", "/v1/models/{name}/versions/{version}/classify"},
            consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Classify an uploaded PNG/JPEG (form field 'image'); query parameters as in V2")
    ClassifyResponse classifyImage(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestPart("image") MultipartFile image,
            @RequestParam(name = INVERT, defaultValue = "false") boolean invert,
            @RequestParam Map<String, String> query,
            @RequestAttribute(RequestRecord.ATTRIBUTE) RequestRecord record)
            throws IOException, OrtException, InterruptedException {
        LoadedModel model = lookup.find(name, version);
        record.model(model);
        Map<String, String> parameters = new LinkedHashMap<>(query);
        parameters.remove(INVERT);
        Knob knob = KnobBinder.bind(parameters);
        record.knob(knob);
        float[] pixels =
                ImageConverter.toInput(image.getBytes(), model.manifest().input(), invert, maxImagePixels);
        return classify(model, pixels, knob, record);
    }

    @PostMapping(
            path = {"/v1/models/{name}/classify", "/v1/models/{name}/versions/{version}/classify"},
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Classify one image given as JSON pixels in [0, 1] (C*H*W values, flat or nested)")
    ClassifyResponse classifyPixels(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestBody PixelsRequest request,
            @RequestAttribute(RequestRecord.ATTRIBUTE) RequestRecord record)
            throws OrtException, InterruptedException {
        LoadedModel model = lookup.find(name, version);
        record.model(model);
        Knob knob = KnobBinder.bind(request.parameters());
        record.knob(knob);
        return classify(model, pixels(request.pixels(), model), knob, record);
    }

    private ClassifyResponse classify(LoadedModel model, float[] pixels, Knob knob, RequestRecord record)
            throws OrtException, InterruptedException {
        List<Long> shape = model.manifest().input().shape();
        ModelInput input = new ModelInput(pixels, new long[] {1, shape.get(1), shape.get(2), shape.get(3)});
        InferenceResult result = inference.infer(model, input, knob, record.receivedNanos(), true);
        BatchResult batch = result.batch();
        SampleResult s = batch.samples().get(0);
        List<String> labels = model.manifest().labels();
        List<ClassifyResponse.HeadProbabilities> heads = new ArrayList<>();
        for (SampleResult.HeadProbabilities head : s.heads()) {
            Map<String, Float> byLabel = new LinkedHashMap<>();
            for (int c = 0; c < labels.size(); c++) {
                byLabel.put(labels.get(c), head.probabilities()[c]);
            }
            heads.add(new ClassifyResponse.HeadProbabilities(head.stage(), byLabel));
        }
        List<ClassifyResponse.StageTiming> timings = new ArrayList<>();
        for (int k = 0; k <= s.exitStage(); k++) {
            timings.add(new ClassifyResponse.StageTiming(k, batch.stageMillis()[k]));
        }
        return new ClassifyResponse(
                model.name(),
                model.version(),
                labels.get(s.predictedClass()),
                s.predictedClass(),
                s.confidence(),
                s.exitStage(),
                s.deadlineCut(),
                result.rule(),
                batch.macsFraction(),
                heads,
                timings);
    }

    private static float[] pixels(List<Object> values, LoadedModel model) {
        if (values == null) {
            throw new InvalidRequestException("'pixels' is missing: give C*H*W values in [0, 1], flat or nested");
        }
        int expected = (int) model.manifest().input().elementsPerSample();
        float[] out = new float[expected];
        int n = flatten(values, out, 0);
        if (n != expected) {
            throw new InvalidRequestException("'pixels' has " + n + " values, the model needs " + expected + " ("
                    + model.manifest().input().shape().subList(1, 4) + ")");
        }
        return out;
    }

    private static int flatten(List<?> values, float[] out, int at) {
        int n = at;
        for (Object v : values) {
            if (v instanceof List<?> nested) {
                n = flatten(nested, out, n);
            } else if (v instanceof Number number) {
                double d = number.doubleValue();
                if (!(d >= 0 && d <= 1)) {
                    throw new InvalidRequestException("pixel #" + n + " is " + v + ": values must be in [0, 1]");
                }
                if (n < out.length) {
                    out[n] = (float) d;
                }
                n++;
            } else {
                throw new InvalidRequestException("pixel #" + n + " is not a number: " + v);
            }
        }
        return n;
    }
}
