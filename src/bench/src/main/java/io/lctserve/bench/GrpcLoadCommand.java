package io.lctserve.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.lctserve.core.data.ImageSet;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.InferParameter;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;

/**
 * A gRPC load generator for the Open Inference Protocol: N calls in flight on one HTTP/2 connection
 * (as one Triton or KServe gRPC client keeps them), each answer sending the next request at once,
 * requests built up front from distinct test images with the tensor in raw_input_contents as
 * Triton's client sends it. Every answer is checked (its class against the image's label).
 *
 * <p>Over 300 lines because the request building and the failure classification here are what the
 * other gRPC loads ({@code overload --grpc}, and h2load through {@code wrk-bodies --grpc}) use too; one place keeps
 * their requests equal.
 */
@Command(
        name = "grpc",
        mixinStandardHelpOptions = true,
        description = "Loads a running server's gRPC service (ModelInfer, N calls in flight, batch B, distinct test"
                + " images) for a time and prints requests/s, images/s, latency, accuracy and exit depth.")
final class GrpcLoadCommand implements Callable<Integer> {

    @Option(names = "--target", description = "host:port of the gRPC service. Default: ${DEFAULT-VALUE}")
    String target = "localhost:8081";

    @Mixin
    TestImages input = new TestImages();

    @Option(names = "--streams", description = "Calls in flight. Default: ${DEFAULT-VALUE}")
    int streams = 8;

    @Option(
            names = "--channels",
            description = "Connections the calls are spread over (one, as one client keeps it, by default)."
                    + " Default: ${DEFAULT-VALUE}")
    int channels = 1;

    @Option(names = "--batch", description = "Images per request. Default: ${DEFAULT-VALUE}")
    int batch = 1;

    @Option(names = "--datatype", description = "FP32 (pixels in [0, 1]) or UINT8. Default: ${DEFAULT-VALUE}")
    String datatype = "FP32";

    @Option(names = "--seconds", description = "Measured seconds. Default: ${DEFAULT-VALUE}")
    double seconds = 10;

    @Option(names = "--warmup-seconds", description = "Unmeasured seconds first. Default: ${DEFAULT-VALUE}")
    double warmupSeconds = 5;

    @Option(
            names = "--parameter",
            paramLabel = "NAME=VALUE",
            description = "A request parameter (the knob), typed as the value reads: true/false, a whole number,"
                    + " a number, else text; repeatable. E.g. --parameter mode=full, --parameter preset=balanced")
    Map<String, String> parameters = new LinkedHashMap<>();

    @Option(names = "--label", description = "Scenario name for the output line. Default: the parameters")
    String label;

    @Option(
            names = "--write-body",
            paramLabel = "FILE",
            description = "Only write the first request as a gRPC message (5-byte prefix, then the protobuf) for"
                    + " h2load -d FILE (nghttp2-client's HTTP/2 load generator), and exit")
    Path writeBody;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!datatype.equals("FP32") && !datatype.equals("UINT8")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--datatype must be FP32 or UINT8");
        }
        if (streams < 1 || batch < 1 || seconds <= 0 || warmupSeconds < 0) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--streams and --batch must be >= 1, --seconds > 0, --warmup-seconds >= 0");
        }
        ImageSet test = input.test();
        String model = input.model().manifest().name();
        List<ModelInferRequest> requests = requests(test, model);
        if (writeBody != null) {
            byte[] message = requests.get(0).toByteArray();
            ByteBuffer frame = ByteBuffer.allocate(5 + message.length); // not compressed, big-endian length
            frame.put((byte) 0).putInt(message.length).put(message);
            Files.write(writeBody, frame.array());
            return 0;
        }
        List<ManagedChannel> connections = new ArrayList<>();
        List<GRPCInferenceServiceGrpc.GRPCInferenceServiceStub> stubs = new ArrayList<>();
        for (int c = 0; c < Math.max(1, channels); c++) {
            ManagedChannel channel = NettyChannelBuilder.forTarget(target)
                    .usePlaintext()
                    .directExecutor() // answers are handled on the event loop: no thread hand-over per call
                    .maxInboundMessageSize(64 << 20)
                    .build();
            connections.add(channel);
            stubs.add(GRPCInferenceServiceGrpc.newStub(channel));
        }
        try {
            run(stubs, requests, test, warmupSeconds);
            Result r = run(stubs, requests, test, seconds);
            out.printf(
                    Locale.ROOT,
                    "grpc %s: %d streams on %d connections, batch %d, %s: %.0f req/s, %.0f images/s, p50 %.2f ms, p99 %.2f ms,"
                            + " accuracy %.2f %%, mean exit stage %.2f, errors %d%n",
                    label != null ? label : parameters.toString(),
                    streams,
                    stubs.size(),
                    batch,
                    datatype,
                    r.requests / r.seconds,
                    r.requests * batch / r.seconds,
                    r.percentileMillis(50),
                    r.percentileMillis(99),
                    100.0 * r.correct / Math.max(1, r.requests * batch),
                    r.exitStageSum / (double) Math.max(1, r.requests * batch),
                    r.errors);
            return r.errors == 0 ? 0 : 1;
        } finally {
            for (ManagedChannel channel : connections) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private List<ModelInferRequest> requests(ImageSet test, String model) {
        return requests(test, model, batch, datatype, parameters);
    }

    /** One request per batch of consecutive test images, the whole set once. */
    /** V2 parameters JSON ({"preset":"balanced","deadline_ms":50}) as the name/value pairs {@link #requests} takes. */
    static Map<String, String> parameters(String json) {
        Map<String, String> knob = new LinkedHashMap<>();
        if (json != null) {
            JsonMapper.builder()
                    .build()
                    .readTree(json)
                    .properties()
                    .forEach(e -> knob.put(
                            e.getKey(),
                            e.getValue().isString()
                                    ? e.getValue().asString()
                                    : e.getValue().toString()));
        }
        return knob;
    }

    static List<ModelInferRequest> requests(
            ImageSet test, String model, int batch, String datatype, Map<String, String> parameters) {
        int n = test.pixelsPerImage();
        Map<String, InferParameter> knob = new LinkedHashMap<>();
        parameters.forEach((name, value) -> knob.put(name, typed(value)));
        List<ModelInferRequest> requests = new ArrayList<>();
        for (int from = 0; from + batch <= test.size(); from += batch) {
            ByteBuffer raw;
            if (datatype.equals("UINT8")) {
                raw = ByteBuffer.wrap(test.pixels(), from * n, batch * n);
            } else {
                raw = ByteBuffer.allocate(batch * n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = from * n; i < (from + batch) * n; i++) {
                    raw.putFloat((test.pixels()[i] & 0xFF) / 255f);
                }
                raw.flip();
            }
            requests.add(ModelInferRequest.newBuilder()
                    .setModelName(model)
                    .putAllParameters(knob)
                    .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                            .setName("input")
                            .setDatatype(datatype)
                            .addShape(batch)
                            .addShape(test.channels())
                            .addShape(test.rows())
                            .addShape(test.cols()))
                    .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                            .setName("class"))
                    .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                            .setName("exit_stage"))
                    .addRawInputContents(ByteString.copyFrom(raw))
                    .setId(Integer.toString(from))
                    .build());
        }
        return requests;
    }

    static InferParameter typed(String value) {
        InferParameter.Builder p = InferParameter.newBuilder();
        if (value.equals("true") || value.equals("false")) {
            return p.setBoolParam(Boolean.parseBoolean(value)).build();
        }
        try {
            return p.setInt64Param(Long.parseLong(value)).build();
        } catch (NumberFormatException notWhole) {
            try {
                return p.setDoubleParam(Double.parseDouble(value)).build();
            } catch (NumberFormatException notNumber) {
                return p.setStringParam(value).build();
            }
        }
    }

    private static final class Result {
        final long[] latencies = new long[1 << 22];
        int requests;
        int errors;
        long correct;
        long exitStageSum;
        double seconds;
        final AtomicReference<Throwable> firstError = new AtomicReference<>();

        synchronized void record(long nanos, ModelInferResponse r, ImageSet test, int from) {
            if (requests < latencies.length) {
                latencies[requests] = nanos;
            }
            requests++;
            ByteBuffer classes =
                    r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer exits = r.getRawOutputContents(1).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; classes.hasRemaining(); i++) {
                if (classes.getLong() == test.labels()[from + i]) {
                    correct++;
                }
                exitStageSum += exits.getInt();
            }
        }

        synchronized void failed(Throwable t) {
            errors++;
            firstError.compareAndSet(null, t);
        }

        double percentileMillis(double p) {
            int n = Math.min(requests, latencies.length);
            long[] sorted = java.util.Arrays.copyOf(latencies, n);
            java.util.Arrays.sort(sorted);
            return n == 0 ? 0 : sorted[(int) Math.min(n - 1, Math.max(0, Math.ceil(p / 100 * n) - 1))] / 1e6;
        }
    }

    /** Keeps {@code streams} calls in flight for {@code duration} seconds. */
    private Result run(
            List<GRPCInferenceServiceGrpc.GRPCInferenceServiceStub> stubs,
            List<ModelInferRequest> requests,
            ImageSet test,
            double duration)
            throws InterruptedException {
        Result result = new Result();
        AtomicInteger next = new AtomicInteger();
        AtomicLong stopAt = new AtomicLong(System.nanoTime() + (long) (duration * 1e9));
        CountDownLatch done = new CountDownLatch(streams);
        long start = System.nanoTime();
        for (int s = 0; s < streams; s++) {
            send(stubs.get(s % stubs.size()), requests, test, result, next, stopAt.get(), done);
        }
        done.await();
        result.seconds = (System.nanoTime() - start) / 1e9;
        if (result.firstError.get() != null) {
            spec.commandLine().getErr().println("first error: " + result.firstError.get());
        }
        return result;
    }

    private void send(
            GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub,
            List<ModelInferRequest> requests,
            ImageSet test,
            Result result,
            AtomicInteger next,
            long stopAt,
            CountDownLatch done) {
        if (System.nanoTime() >= stopAt) {
            done.countDown();
            return;
        }
        int index = Math.floorMod(next.getAndIncrement(), requests.size());
        ModelInferRequest request = requests.get(index);
        long sent = System.nanoTime();
        stub.modelInfer(request, new StreamObserver<>() {
            @Override
            public void onNext(ModelInferResponse response) {
                result.record(System.nanoTime() - sent, response, test, index * batch);
            }

            @Override
            public void onError(Throwable t) {
                result.failed(t);
                if (lostInTransport(t)) {
                    spec.commandLine().getErr().println("lost: " + t);
                }
                send(stub, requests, test, result, next, stopAt, done);
            }

            @Override
            public void onCompleted() {
                send(stub, requests, test, result, next, stopAt, done);
            }
        });
    }

    /**
     * Whether a failed call got no status from the server: the connection failed under it (reset,
     * closed after GOAWAY with the stream unsent, I/O error). A status the server chose (a refusal,
     * a bad request) comes with its own description and no local cause.
     */
    static boolean lostInTransport(Throwable t) {
        Status s = Status.fromThrowable(t);
        String d = s.getDescription() == null ? "" : s.getDescription();
        return s.getCause() != null
                || d.isEmpty()
                || d.contains("GOAWAY")
                || d.contains("RST_STREAM")
                || d.contains("io exception")
                || d.contains("Connection closed")
                || d.contains("Network closed");
    }
}
