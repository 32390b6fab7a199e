package io.lctserve.bench;

import io.lctserve.core.data.ImageSet;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends every image once, batch 1, from {@code concurrency} threads that each keep one request
 * in flight, and checks every answer against the image's label.
 */
final class HttpLoad {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final URI infer;
    private final ImageSet images;

    HttpLoad(String baseUrl, String model, ImageSet images) {
        this.infer = URI.create(baseUrl + "/v2/models/" + model + "/infer");
        this.images = images;
    }

    /** Request bodies per image (batch 1, UINT8), built before any clock starts. */
    static List<byte[]> bodies(ImageSet images, String parameters) {
        return bodies(images, parameters, false);
    }

    /**
     * @param fp32 pixels as FP32 values in [0, 1], written as Python writes a float32 array's
     *     {@code tolist()} (Triton's and KServe's clients in JSON mode), else UINT8 integers
     */
    static List<byte[]> bodies(ImageSet images, String parameters, boolean fp32) {
        List<byte[]> bodies = new ArrayList<>(images.size());
        int n = images.pixelsPerImage();
        for (int i = 0; i < images.size(); i++) {
            StringBuilder sb = new StringBuilder(n * 4 + 160);
            sb.append("{\"inputs\":[{\"name\":\"input\",\"shape\":[1,")
                    .append(images.channels())
                    .append(",")
                    .append(images.rows())
                    .append(',')
                    .append(images.cols())
                    .append("],\"datatype\":\"")
                    .append(fp32 ? "FP32" : "UINT8")
                    .append("\",\"data\":[");
            for (int p = 0; p < n; p++) {
                int v = images.pixels()[i * n + p] & 0xFF;
                sb.append(p == 0 ? "" : ",");
                if (fp32) {
                    sb.append((double) (v / 255f));
                } else {
                    sb.append(v);
                }
            }
            sb.append("]}]");
            if (parameters != null) {
                sb.append(",\"parameters\":").append(parameters);
            }
            bodies.add(sb.append('}').toString().getBytes(StandardCharsets.UTF_8));
        }
        return bodies;
    }

    Measurement run(String scenario, String parameters, int concurrency, int warmupRequests) throws Exception {
        List<byte[]> bodies = bodies(images, parameters);
        // Warm up at the measured concurrency: the client's own concurrent path needs the JIT too.
        Parallel.forEachIndex(warmupRequests, concurrency, i -> send(bodies.get(i % bodies.size())));
        long[] latencies = new long[bodies.size()];
        int[] exitStage = new int[bodies.size()];
        int[] predicted = new int[bodies.size()];
        double[] macsFraction = new double[bodies.size()];
        double seconds = Parallel.forEachIndex(bodies.size(), concurrency, i -> {
            long t0 = System.nanoTime();
            JsonNode reply = send(bodies.get(i));
            latencies[i] = System.nanoTime() - t0;
            predicted[i] = output(reply, "class").get(0).asInt();
            exitStage[i] = output(reply, "exit_stage").get(0).asInt();
            macsFraction[i] = reply.get("parameters").get("macs_fraction").asDouble();
        });
        int correct = 0;
        long exitSum = 0;
        double macsSum = 0;
        for (int i = 0; i < bodies.size(); i++) {
            correct += predicted[i] == images.labels()[i] ? 1 : 0;
            exitSum += exitStage[i];
            macsSum += macsFraction[i];
        }
        return new Measurement(scenario, concurrency, latencies, seconds, correct, exitSum, macsSum);
    }

    private JsonNode send(byte[] body) throws Exception {
        HttpResponse<byte[]> r = client.send(
                HttpRequest.newBuilder(infer)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(
                    "HTTP " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return JSON.readTree(r.body());
    }

    private static JsonNode output(JsonNode reply, String name) {
        for (JsonNode o : reply.get("outputs")) {
            if (o.get("name").asString().equals(name)) {
                return o.get("data");
            }
        }
        throw new IllegalStateException("no output " + name);
    }
}
