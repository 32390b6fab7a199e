package io.lctserve.server.http.classify;

import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.SampleResult;
import io.lctserve.runtime.batching.Caller;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.http.AwaitedAnswer;
import io.lctserve.server.http.edge.AdmissionFilter;
import io.lctserve.server.http.edge.InferenceRoutes;
import io.lctserve.server.inference.InferenceCall;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.inference.Knob;
import io.lctserve.server.inference.ModelInput;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.protocol.KnobBinder;
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

    private final InferenceService inference;
    private final long maxImagePixels;

    ClassifyController(InferenceService inference, LctServeProperties properties) {
        this.inference = inference;
        this.maxImagePixels = properties.maxImagePixels();
    }

    /** Pixels as JSON, flat or nested, in [0, 1]; the knob as in V2 {@code parameters}. */
    record PixelsRequest(List<Object> pixels, Map<String, Object> parameters) {}

    @PostMapping(
            path = {InferenceRoutes.CLASSIFY, InferenceRoutes.CLASSIFY_VERSION},
            consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Classify an uploaded PNG/JPEG (form field 'image'); query parameters as in V2")
    ClassifyResponse classifyImage(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestPart("image") MultipartFile image,
            @RequestParam(name = INVERT, defaultValue = "false") boolean invert,
            @RequestParam Map<String, String> query,
            @RequestAttribute(name = AdmissionFilter.ARRIVED, required = false) Long arrived)
            throws IOException, InterruptedException {
        Map<String, String> parameters = new LinkedHashMap<>(query);
        parameters.remove(INVERT);
        byte[] bytes = image.getBytes();
        return classify(
                name,
                version,
                arrived,
                parameters,
                model -> ImageConverter.toInput(bytes, model.manifest(), invert, maxImagePixels));
    }

    @PostMapping(
            path = {InferenceRoutes.CLASSIFY, InferenceRoutes.CLASSIFY_VERSION},
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Classify one image given as JSON pixels in [0, 1] (C*H*W values, flat or nested)")
    ClassifyResponse classifyPixels(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestBody PixelsRequest request,
            @RequestAttribute(name = AdmissionFilter.ARRIVED, required = false) Long arrived)
            throws InterruptedException {
        return classify(name, version, arrived, request.parameters(), model -> pixels(request.pixels(), model));
    }

    /** One image's pixels for a model, read once the model is known. */
    private interface Pixels {
        float[] of(LoadedModel model);
    }

    private ClassifyResponse classify(
            String name, String version, Long arrived, Map<String, ?> parameters, Pixels pixels)
            throws InterruptedException {
        InferenceCall.Reader oneImage = new InferenceCall.Reader() {
            @Override
            public Knob knob(LoadedModel model) {
                return KnobBinder.bind(parameters);
            }

            @Override
            public ModelInput input(LoadedModel model) {
                List<Long> shape = model.manifest().input().shape();
                return new ModelInput(pixels.of(model), new long[] {1, shape.get(1), shape.get(2), shape.get(3)});
            }

            @Override
            public InferenceCall.Detail detail() {
                return InferenceCall.Detail.EVERY_HEAD; // every head's probabilities, for people
            }
        };
        InferenceCall call = new InferenceCall(
                name,
                version,
                oneImage,
                arrived == null ? System.nanoTime() : arrived,
                ExitPlan.NO_DEADLINE,
                Caller.MAY_COMPUTE);
        InferenceResult result = AwaitedAnswer.of(inference, call);
        LoadedModel model = result.model();
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
