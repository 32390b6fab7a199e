package io.lctserve.trainer.export;

import io.lctserve.core.data.ImageSet;
import io.lctserve.core.model.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code samples.json} in the model folder: a few images per class for the web page to offer, at the
 * model's input shape ({@code channels x rows x cols} bytes, planes in order, base64), so that any
 * model shows pictures of its own task.
 */
public final class SampleImages {

    /** Images per class written. */
    public static final int PER_CLASS = 6;

    private SampleImages() {}

    /** Writes the first {@link #PER_CLASS} images of each class of {@code images}, in their order. */
    public static void write(Path folder, ImageSet images, int classes, String source) throws IOException {
        int[] taken = new int[classes];
        List<Map<String, Object>> samples = new ArrayList<>();
        int n = images.pixelsPerImage();
        for (int i = 0; i < images.size(); i++) {
            int label = images.labels()[i];
            if (label >= classes || taken[label] == PER_CLASS) {
                continue;
            }
            taken[label]++;
            Map<String, Object> sample = new LinkedHashMap<>();
            sample.put("index", i);
            sample.put("label", label);
            byte[] pixels = new byte[n];
            System.arraycopy(images.pixels(), i * n, pixels, 0, n);
            sample.put("pixels", Base64.getEncoder().encodeToString(pixels));
            samples.add(sample);
        }
        Map<String, Object> file = new LinkedHashMap<>();
        file.put(
                "source",
                source + ": the first " + PER_CLASS + " of each class; pixels are " + images.describeShape()
                        + " bytes (channel, row, column), base64");
        file.put("split", "validation");
        file.put("channels", images.channels());
        file.put("rows", images.rows());
        file.put("cols", images.cols());
        file.put("samples", samples);
        Files.writeString(
                folder.resolve(ModelFolder.SAMPLES_FILE),
                JsonMapper.builder().build().writeValueAsString(file));
    }
}
