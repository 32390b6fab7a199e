package io.lctserve.server.it;

import io.lctserve.core.data.FashionMnistSlices;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The model the project ships, in the version the server answers for by default (the newest), and the
 * real Fashion-MNIST test images (testdata/fashion-mnist).
 */
public final class ShippedModel {

    public static final String NAME = "fashion-mnist";
    public static final Path FOLDER = newestVersion(Path.of("models", NAME));

    private static Path newestVersion(Path model) {
        try (var versions = java.nio.file.Files.list(model)) {
            return versions.filter(p -> p.getFileName().toString().matches("[0-9]+"))
                    .max(java.util.Comparator.comparingLong(
                            p -> Long.parseLong(p.getFileName().toString())))
                    .orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ShippedModel() {}

    public static Manifest manifest() {
        try {
            return ManifestJson.read(FOLDER.resolve("manifest.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 10,000 Fashion-MNIST test images (the repository's testdata slice). */
    public static ImageSet testImages() {
        return FashionMnistSlices.test();
    }

    /** A V2 infer body with images [from, from + count) as UINT8 and the given parameters (JSON object text). */
    public static String inferBody(int from, int count, String parameters) {
        ImageSet images = testImages();
        int n = images.pixelsPerImage();
        StringBuilder sb = new StringBuilder(count * n * 4 + 200);
        sb.append("{\"inputs\":[{\"name\":\"input\",\"shape\":[")
                .append(count)
                .append(",1,28,28],")
                .append("\"datatype\":\"UINT8\",\"data\":[");
        for (int i = 0; i < count * n; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(images.pixels()[from * n + i] & 0xFF);
        }
        sb.append("]}]");
        if (parameters != null) {
            sb.append(",\"parameters\":").append(parameters);
        }
        return sb.append('}').toString();
    }

    public static List<Integer> labels(int from, int count) {
        List<Integer> labels = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            labels.add(testImages().labels()[i]);
        }
        return labels;
    }
}
