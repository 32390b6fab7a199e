package io.lctserve.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.lctserve.core.data.ImageSet;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.InferParameter;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelInferResponse;
import io.lctserve.protocol.grpc.ModelStreamInferResponse;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Progressive answers over gRPC, one call in flight: in alternating rounds, the unary full-mode
 * latency against a progressive stream's time to its first answer (head 0's) and to its last; then
 * streams cancelled right after their first answer, and how many of them still ran the last stage
 * (the server's own stage-run counter, from its Prometheus endpoint).
 */
@Command(
        name = "stream",
        mixinStandardHelpOptions = true,
        description = "Measures a running server's progressive gRPC answers (ModelStreamInfer): time to the first"
                + " answer against unary full-mode latency, and how much work streams cancelled after their first"
                + " answer still cost.")
final class StreamCommand implements Callable<Integer> {

    @Option(names = "--target", description = "host:port of the gRPC service. Default: ${DEFAULT-VALUE}")
    String target = "localhost:8081";

    @Option(
            names = "--metrics",
            description = "The server's Prometheus endpoint, for its stage-run counts. Default: ${DEFAULT-VALUE}")
    String metrics = "http://localhost:8080/actuator/prometheus";

    @Mixin
    TestImages input = new TestImages();

    @Option(names = "--calls", description = "Calls of each kind per round. Default: ${DEFAULT-VALUE}")
    int calls = 500;

    @Option(names = "--rounds", description = "Alternating rounds. Default: ${DEFAULT-VALUE}")
    int rounds = 5;

    @Option(names = "--cancel", description = "Streams cancelled after their first answer. Default: ${DEFAULT-VALUE}")
    int cancel = 1000;

    @Option(
            names = "--pause-ms",
            description = "progressive_pause_ms of the progressive calls: the server's pause after each answer,"
                    + " time for a client to stop the stream (0: none). Default: ${DEFAULT-VALUE}")
    double pauseMs;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ImageSet test = input.test();
        String model = input.model().manifest().name();
        int stages = input.model().manifest().stages().size();
        ManagedChannel channel = NettyChannelBuilder.forTarget(target)
                .usePlaintext()
                .directExecutor()
                .build();
        try {
            GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub = GRPCInferenceServiceGrpc.newStub(channel);
            List<Double> ratios = new ArrayList<>();
            for (int round = 0; round <= rounds; round++) { // round 0 warms up, unreported
                double[] unary = new double[calls];
                for (int i = 0; i < calls; i++) {
                    ModelInferRequest full = request(model, test, i, "mode", text("full"));
                    CompletableFuture<Void> answered = new CompletableFuture<>();
                    long started = System.nanoTime();
                    stub.modelInfer(full, new StreamObserver<>() {
                        @Override
                        public void onNext(ModelInferResponse value) {}

                        @Override
                        public void onError(Throwable t) {
                            answered.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            answered.complete(null);
                        }
                    });
                    answered.get(30, TimeUnit.SECONDS);
                    unary[i] = (System.nanoTime() - started) / 1e6;
                }
                double[][] progressive = progressive(stub, model, test);
                if (round == 0) {
                    continue;
                }
                double[] first = progressive[0];
                double[] last = progressive[1];
                double ratio = p50(first) / p50(unary);
                ratios.add(ratio);
                out.printf(
                        Locale.ROOT,
                        "round %d, %d calls each, one in flight: unary full p50 %.3f ms; progressive (threshold 1, pause %s ms)"
                                + " first answer p50 %.3f ms, p90 %.3f ms, last answer p50 %.3f ms;"
                                + " first / unary full %.2f%n",
                        round,
                        calls,
                        p50(unary),
                        pauseMs,
                        p50(first),
                        percentile(first, 90),
                        p50(last),
                        ratio);
                out.flush();
            }
            out.printf(Locale.ROOT, "first answer / unary full, median of %d rounds: %.2f%n", rounds, median(ratios));
            if (cancel > 0) {
                List<ModelInferRequest> cancelled = new ArrayList<>();
                for (int i = 0; i < cancel; i++) {
                    cancelled.add(request(model, test, i, "threshold", number(1.0)).toBuilder()
                            .putAllParameters(progressive())
                            .build());
                }
                long[] grew = new CancelledStreams(metrics, stages).stageRunsOf(stub, cancelled);
                out.printf(
                        Locale.ROOT,
                        "%d streams cancelled after their first answer (threshold 1: every stage unless cancelled;"
                                + " pause %s ms): stage runs grew by %s (stage 0..%d)%n",
                        cancel,
                        pauseMs,
                        Arrays.toString(grew),
                        stages - 1);
            }
            return 0;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * {@code calls} progressive calls one after another on one stream, as Triton's client keeps it:
     * milliseconds from each request to its first answer, and to its last.
     */
    private double[][] progressive(GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub, String model, ImageSet test)
            throws Exception {
        double[] first = new double[calls];
        double[] last = new double[calls];
        long[] started = new long[1];
        CompletableFuture<?>[] answered = new CompletableFuture<?>[1];
        StreamObserver<ModelInferRequest> requests = stub.modelStreamInfer(new StreamObserver<>() {
            private int call;
            private boolean heard;

            @Override
            public void onNext(ModelStreamInferResponse response) {
                double millis = (System.nanoTime() - started[0]) / 1e6;
                if (!heard) {
                    first[call] = millis;
                    heard = true;
                }
                if (response.getInferResponse()
                        .getParametersOrThrow("triton_final_response")
                        .getBoolParam()) {
                    last[call++] = millis;
                    heard = false;
                    answered[0].complete(null);
                }
            }

            @Override
            public void onError(Throwable t) {
                answered[0].completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        });
        for (int i = 0; i < calls; i++) {
            ModelInferRequest request = request(model, test, i, "threshold", number(1.0)).toBuilder()
                    .putAllParameters(progressive())
                    .build();
            answered[0] = new CompletableFuture<>();
            started[0] = System.nanoTime();
            requests.onNext(request);
            answered[0].get(30, TimeUnit.SECONDS);
        }
        requests.onCompleted();
        return new double[][] {first, last};
    }

    /** The parameters of a progressive call, with the pause asked for. */
    private Map<String, InferParameter> progressive() {
        Map<String, InferParameter> p = new LinkedHashMap<>();
        p.put("progressive", InferParameter.newBuilder().setBoolParam(true).build());
        if (pauseMs > 0) {
            p.put("progressive_pause_ms", number(pauseMs));
        }
        return p;
    }

    private static ModelInferRequest request(String model, ImageSet test, int i, String name, InferParameter value) {
        int n = test.pixelsPerImage();
        int image = i % test.size();
        return ModelInferRequest.newBuilder()
                .setModelName(model)
                .putParameters(name, value)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype("UINT8")
                        .addShape(1)
                        .addShape(test.channels())
                        .addShape(test.rows())
                        .addShape(test.cols()))
                .addRawInputContents(ByteString.copyFrom(test.pixels(), image * n, n))
                .build();
    }

    private static InferParameter text(String value) {
        return InferParameter.newBuilder().setStringParam(value).build();
    }

    private static InferParameter number(double value) {
        return InferParameter.newBuilder().setDoubleParam(value).build();
    }

    private static double p50(double[] values) {
        return percentile(values, 50);
    }

    private static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
    }

    private static double median(List<Double> values) {
        return p50(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
