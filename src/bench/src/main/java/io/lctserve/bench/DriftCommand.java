package io.lctserve.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.lctserve.core.data.ImageSet;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.InferParameter;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.DoubleAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Live accuracy under drift, against a running server with shadow verification at its settings:
 * clean test images with a preset, then the same images drifted ({@code --drift}: moved {@code
 * --shift} pixels right and down as a moved camera mount does, by default; lower contrast, blur or
 * noise), polling the model's metadata to see when the preset's live state turns
 * "above calibration" (detected) and when recalibration set it again; then held-out drifted images,
 * never sent before, each answered by every measured preset and by the full model, so that each
 * preset's accuracy loss against full mode is measured on the same images. Single images over gRPC
 * (raw UINT8), {@code --in-flight} calls at a time.
 *
 * <p>Over 300 lines because the scenario's three phases (clean, drifted, held-out measurement) and
 * their report are one run read top to bottom; the images it sends are {@link DriftedImages}'.
 */
@Command(
        name = "drift",
        mixinStandardHelpOptions = true,
        description = "Clean traffic, then drifted images: requests until the preset's drift is detected and"
                + " recalibrated, then each preset's accuracy against full mode on held-out drifted images.")
final class DriftCommand implements Callable<Integer> {

    @Option(names = "--target", description = "host:port of the gRPC service. Default: ${DEFAULT-VALUE}")
    String target = "localhost:8081";

    @Option(names = "--http", description = "The server's HTTP address, for model metadata. Default: ${DEFAULT-VALUE}")
    String http = "http://localhost:8080";

    @Mixin
    TestImages input = new TestImages();

    @Option(names = "--preset", description = "The preset of the clean and drifted traffic. Default: ${DEFAULT-VALUE}")
    String preset = "balanced";

    @Option(
            names = "--measure",
            split = ",",
            description = "Presets measured on the held-out drifted images. Default: ${DEFAULT-VALUE}")
    List<String> measure = List.of("balanced", "fast");

    /** How the drifted images differ from the clean ones. */
    enum Drift {
        /** moved {@code --shift} pixels right and down, zeros coming in (a camera mount moved) */
        shift,
        /** contrast lowered to {@code --contrast} around each image's mean (a duller light) */
        contrast,
        /** a 3x3 box blur (a lens out of focus) */
        blur,
        /** Gaussian noise of standard deviation {@code --noise} grey levels, clipped (a noisier sensor) */
        noise
    }

    @Option(names = "--drift", description = "The drift: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}")
    Drift drift = Drift.shift;

    @Option(names = "--shift", description = "Pixels the drifted images move right and down. Default: ${DEFAULT-VALUE}")
    int shift = 3;

    @Option(names = "--contrast", description = "Contrast left by --drift contrast. Default: ${DEFAULT-VALUE}")
    double contrast = 0.4;

    @Option(
            names = "--noise",
            description = "Noise standard deviation (grey levels) of --drift noise. Default: ${DEFAULT-VALUE}")
    double noise = 40;

    @Option(names = "--clean", description = "Clean requests first. Default: ${DEFAULT-VALUE}")
    int clean = 5000;

    @Option(names = "--drifted", description = "Drifted requests. Default: ${DEFAULT-VALUE}")
    int drifted = 20000;

    @Option(
            names = "--held-out",
            description = "The last test images, kept for the measurement after the drift. Default: ${DEFAULT-VALUE}")
    int heldOut = 2000;

    @Option(names = "--in-flight", description = "Calls in flight. Default: ${DEFAULT-VALUE}")
    int inFlight = 8;

    @Option(names = "--poll", description = "Requests between metadata polls. Default: ${DEFAULT-VALUE}")
    int poll = 250;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private final HttpClient client = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ImageSet test = input.test();
        String model = input.model().manifest().name();
        int streamImages = test.size() - heldOut;
        if (streamImages < 1) {
            throw new IllegalArgumentException("--held-out " + heldOut + " leaves no test images to stream");
        }
        byte[] moved = drifted(test);
        String what = describe();
        ManagedChannel channel =
                NettyChannelBuilder.forTarget(target).usePlaintext().build();
        try {
            GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub =
                    GRPCInferenceServiceGrpc.newBlockingStub(channel);
            DoubleAdder macs = new DoubleAdder();
            double seconds = Parallel.forEachIndex(
                    clean,
                    inFlight,
                    i -> macs.add(macsFraction(stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                            .modelInfer(request(model, test, test.pixels(), i % streamImages, "preset", preset)))));
            JsonNode after = metadata(model);
            out.printf(
                    Locale.ROOT,
                    "clean: %d requests with preset %s in %.1f s, mean MACs fraction %.4f; %s; recalibrated: %s;"
                            + " traffic shift: %s%n",
                    clean,
                    preset,
                    seconds,
                    clean == 0 ? 0 : macs.sum() / clean,
                    state(after),
                    after.get("parameters").get("recalibrated").propertyNames(),
                    shift(after).isEmpty() ? "none" : after.get("parameters").get("shift"));
            out.flush();

            int detectedAt = -1;
            int movedAt =
                    -1; // the server saw the traffic move (its answers' depth): a shift newer than the clean phase's
            String cleanShift = shift(after);
            Map<String, Integer> recalibratedAt = new LinkedHashMap<>();
            for (int sent = 0; sent < drifted; ) {
                int from = sent;
                int n = Math.min(poll, drifted - sent);
                Parallel.forEachIndex(n, inFlight, i -> stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                        .modelInfer(request(model, test, moved, (from + i) % streamImages, "preset", preset)));
                sent += n;
                JsonNode m = metadata(model);
                if (movedAt < 0 && !shift(m).isEmpty() && !shift(m).equals(cleanShift)) {
                    movedAt = sent;
                }
                if (detectedAt < 0 && state(m).contains("above calibration")) {
                    detectedAt = sent;
                }
                for (String p : m.get("parameters").get("recalibrated").propertyNames()) {
                    recalibratedAt.putIfAbsent(p, sent);
                }
                if (recalibratedAt.containsKey(preset) && detectedAt < 0) {
                    detectedAt = sent; // recalibrated within one poll of detection
                }
            }
            JsonNode m = metadata(model);
            out.printf(
                    Locale.ROOT,
                    "drifted (%s): %d requests with preset %s; traffic moved (exit depth) seen %s;"
                            + " preset above calibration (or recalibrated) %s; recalibrated within"
                            + " (requests, polled every %d): %s; now %s%n",
                    what,
                    drifted,
                    preset,
                    movedAt < 0 ? "never" : "within " + movedAt,
                    detectedAt < 0 ? "never" : "within " + detectedAt,
                    poll,
                    recalibratedAt,
                    state(m));
            out.printf("recalibrated: %s%n", m.get("parameters").get("recalibrated"));
            out.printf("traffic shift: %s%n", m.get("parameters").get("shift"));
            out.flush();

            int[] labels = test.labels();
            int[] full = new int[heldOut];
            Parallel.forEachIndex(
                    heldOut,
                    inFlight,
                    i -> full[i] = predicted(stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                            .modelInfer(request(model, test, moved, streamImages + i, "mode", "full"))));
            double fullAccuracy = accuracy(full, labels, streamImages);
            out.printf(
                    Locale.ROOT,
                    "held-out drifted images (%s): %d, full mode accuracy %.2f %%%n",
                    what,
                    heldOut,
                    100 * fullAccuracy);
            for (String p : measure) {
                int[] answers = new int[heldOut];
                DoubleAdder cost = new DoubleAdder();
                Parallel.forEachIndex(heldOut, inFlight, i -> {
                    ModelInferResponse r = stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                            .modelInfer(request(model, test, moved, streamImages + i, "preset", p));
                    answers[i] = predicted(r);
                    cost.add(macsFraction(r));
                });
                int differing = 0;
                for (int i = 0; i < heldOut; i++) {
                    differing += answers[i] == full[i] ? 0 : 1;
                }
                double accuracy = accuracy(answers, labels, streamImages);
                out.printf(
                        Locale.ROOT,
                        "  %-10s accuracy %.2f %%, loss against full mode %.2f pt, differing from full %.2f %%,"
                                + " mean MACs fraction %.4f%n",
                        p,
                        100 * accuracy,
                        100 * (fullAccuracy - accuracy),
                        100.0 * differing / heldOut,
                        cost.sum() / heldOut);
            }
            out.printf(
                    "recalibrated at the end: %s%n",
                    metadata(model).get("parameters").get("recalibrated"));
            return 0;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private String describe() {
        return switch (drift) {
            case shift -> "moved " + shift + " px";
            case contrast -> String.format(Locale.ROOT, "contrast %.2f", contrast);
            case blur -> "3x3 box blur";
            case noise -> String.format(Locale.ROOT, "noise sd %.0f", noise);
        };
    }

    /** Every test image drifted as {@code --drift} says. */
    byte[] drifted(ImageSet test) {
        return switch (drift) {
            case shift -> DriftedImages.moved(test, shift);
            case contrast -> DriftedImages.contrast(test, contrast);
            case blur -> DriftedImages.blurred(test);
            case noise -> DriftedImages.noisy(test, noise, 42);
        };
    }

    private static ModelInferRequest request(
            String model, ImageSet test, byte[] pixels, int image, String name, String value) {
        int n = test.pixelsPerImage();
        return ModelInferRequest.newBuilder()
                .setModelName(model)
                .putParameters(
                        name, InferParameter.newBuilder().setStringParam(value).build())
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype("UINT8")
                        .addShape(1)
                        .addShape(test.channels())
                        .addShape(test.rows())
                        .addShape(test.cols()))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                        .setName("class"))
                .addRawInputContents(ByteString.copyFrom(pixels, image * n, n))
                .build();
    }

    private static int predicted(ModelInferResponse r) {
        return (int) r.getRawOutputContents(0)
                .asReadOnlyByteBuffer()
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getLong();
    }

    private static double macsFraction(ModelInferResponse r) {
        return r.getParametersOrThrow("macs_fraction").getDoubleParam();
    }

    private static double accuracy(int[] answers, int[] labels, int offset) {
        int right = 0;
        for (int i = 0; i < answers.length; i++) {
            right += answers[i] == labels[offset + i] ? 1 : 0;
        }
        return right / (double) answers.length;
    }

    private JsonNode metadata(String model) throws Exception {
        HttpResponse<String> r = client.send(
                HttpRequest.newBuilder(URI.create(http + "/v2/models/" + model)).build(),
                HttpResponse.BodyHandlers.ofString());
        return json.readTree(r.body());
    }

    /** When the model's newest traffic shift was seen, as the metadata gives it; empty if none. */
    private static String shift(JsonNode metadata) {
        JsonNode shift = metadata.get("parameters").get("shift");
        return shift == null ? "" : shift.get("when").asString();
    }

    /** The preset's live numbers as the metadata gives them. */
    private String state(JsonNode metadata) {
        for (JsonNode live : metadata.get("parameters").get("live")) {
            if (live.get("preset").asString().equals(preset)) {
                return String.format(
                        Locale.ROOT,
                        "%s live: %s, %.2f %% of %d differing (calibrated %.2f %%)",
                        preset,
                        live.get("state").asString(),
                        100 * live.get("disagreement").asDouble(),
                        live.get("window").asInt(),
                        100 * live.get("calibrated").asDouble());
            }
        }
        return preset + " live: nothing verified yet";
    }
}
