package io.lctserve.server.it;

import com.google.protobuf.ByteString;
import io.lctserve.core.data.FashionMnistSlices;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.protocol.grpc.ModelInferRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

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

    /** A gRPC inference request for test image {@code image}, batch 1, UINT8 pixels, the server's default knob. */
    public static ModelInferRequest.Builder grpcRequest(int image) {
        return ModelInferRequest.newBuilder()
                .setModelName(NAME)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype("UINT8")
                        .addAllShape(List.of(1L, 1L, 28L, 28L)))
                .addRawInputContents(ByteString.copyFrom(testImages().pixels(), image * 784, 784));
    }

    /** The 10,000 Fashion-MNIST test images (the repository's testdata slice). */
    public static ImageSet testImages() {
        return FashionMnistSlices.test();
    }

    /** A V2 infer body with images [from, from + count) as UINT8 and the given parameters (JSON object text). */
    public static String inferBody(int from, int count, String parameters) {
        return inferBody(from, count, parameters, 0);
    }

    /**
     * The same with every image moved {@code shift} pixels right and down, zeros coming in (a camera
     * mount moved): traffic that drifted from what the model was calibrated on.
     */
    public static String inferBody(int from, int count, String parameters, int shift) {
        ImageSet images = testImages();
        int n = images.pixelsPerImage();
        StringBuilder sb = new StringBuilder(count * n * 4 + 200);
        sb.append("{\"inputs\":[{\"name\":\"input\",\"shape\":[")
                .append(count)
                .append(",1,28,28],")
                .append("\"datatype\":\"UINT8\",\"data\":[");
        for (int i = from; i < from + count; i++) {
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    int v = x < shift || y < shift ? 0 : images.pixels()[i * n + (y - shift) * 28 + x - shift] & 0xFF;
                    sb.append(i == from && y == 0 && x == 0 ? "" : ",").append(v);
                }
            }
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

    /** The {@code class} output's data of a V2 answer. */
    public static JsonNode classes(JsonNode answer) {
        for (JsonNode output : answer.get("outputs")) {
            if (output.get("name").asString().equals("class")) {
                return output.get("data");
            }
        }
        throw new AssertionError("no class output: " + answer);
    }
}
