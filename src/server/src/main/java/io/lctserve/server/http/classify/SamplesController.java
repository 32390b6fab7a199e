package io.lctserve.server.http.classify;

import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.InferenceException;
import io.lctserve.server.inference.ModelLookup;
import io.lctserve.server.model.LoadedModel;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/**
 * What the page shows as the model's input: {@code GET /v1/models/{name}[/versions/{v}]/samples}, the
 * model folder's {@code samples.json} (a few images per class at the model's input shape, written by
 * the trainer), and {@code POST .../input}, a picture converted to the model's input as training and
 * {@code evaluate} convert it.
 */
@RestController
@Tag(name = "Classify (for people)")
class SamplesController {

    private final ModelLookup models;
    private final long maxImagePixels;

    SamplesController(ModelLookup models, LctServeProperties properties) {
        this.models = models;
        this.maxImagePixels = properties.maxImagePixels();
    }

    /** A picture as the model's input: its shape and bytes (channel planes, base64). */
    record Input(int channels, int rows, int cols, String pixels) {}

    @PostMapping(
            path = {"/v1/models/{name}/input", "/v1/models/{name}/versions/{version}/input"},
            consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "A PNG/JPEG (form field 'image') converted to the model's input, as training converts it")
    Input input(
            @PathVariable String name,
            @PathVariable(required = false) String version,
            @RequestPart("image") MultipartFile image,
            @RequestParam(name = "invert", defaultValue = "false") boolean invert)
            throws IOException {
        LoadedModel model = models.find(name, version);
        byte[] bytes = ImageConverter.toBytes(image.getBytes(), model.manifest(), invert, maxImagePixels);
        List<Long> shape = model.manifest().input().shape();
        return new Input(
                shape.get(1).intValue(),
                shape.get(2).intValue(),
                shape.get(3).intValue(),
                Base64.getEncoder().encodeToString(bytes));
    }

    @GetMapping(
            path = {"/v1/models/{name}/samples", "/v1/models/{name}/versions/{version}/samples"},
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "A few images per class at the model's input shape (channels, rows, cols; base64 bytes)")
    ResponseEntity<byte[]> samples(@PathVariable String name, @PathVariable(required = false) String version) {
        LoadedModel model = models.find(name, version);
        byte[] samples = model.samples()
                .orElseThrow(() -> new InferenceException(
                        InferenceException.Kind.NOT_FOUND,
                        "model " + model.name() + " version " + model.version()
                                + " has no samples.json (the trainer writes one at export)"));
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(samples);
    }
}
