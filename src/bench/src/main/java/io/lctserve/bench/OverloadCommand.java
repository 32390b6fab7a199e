package io.lctserve.bench;

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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Open-loop load: requests leave at a fixed rate whether or not earlier ones were answered (as
 * independent users arrive), so an overloaded server cannot slow its own load down the way a
 * closed loop of connections lets it. Latency counts from when a request was due to leave, so time
 * it spent waiting in the client is counted too. Then, with the load gone, a closed loop of
 * {@code --recovery-connections} shows how fast throughput comes back, second by second. *
 * <p>Over 300 lines because both transports share one open loop's outcome record and report (what
 * the command is for: one table whatever the transport); each transport's sending is its own method.
 */
@Command(
        name = "overload",
        mixinStandardHelpOptions = true,
        description = "Sends batch-1 requests at a fixed rate (open loop) and reports answers, refusals, latency of"
                + " the answered, accuracy, degraded answers, then throughput per second after the load stops.")
final class OverloadCommand implements Callable<Integer> {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Option(names = "--url", description = "Server base URL. Default: ${DEFAULT-VALUE}")
    String url = "http://localhost:8080";

    @Mixin
    TestImages input = new TestImages();

    @Option(names = "--rate", required = true, description = "Requests per second to send.")
    double rate;

    @Option(names = "--seconds", description = "How long to send. Default: ${DEFAULT-VALUE}")
    int seconds = 60;

    @Option(
            names = "--warmup-seconds",
            description = "Seconds sent at the rate before the measured ones, not counted (both JVMs' JIT at work)."
                    + " Default: ${DEFAULT-VALUE}")
    int warmupSeconds = 0;

    @Option(names = "--parameters", description = "V2 parameters JSON, e.g. {\"deadline_ms\":50}.")
    String parameters;

    @Option(
            names = "--grpc",
            paramLabel = "HOST:PORT",
            description = "Send over gRPC instead (ModelInfer, raw FP32, on --channels connections); refusals are"
                    + " UNAVAILABLE or RESOURCE_EXHAUSTED, the codes a client retries. No recovery phase.")
    String grpc;

    @Option(names = "--channels", description = "gRPC connections the calls spread over. Default: ${DEFAULT-VALUE}")
    int channels = 4;

    @Option(names = "--timeout-ms", description = "Client timeout per request. Default: ${DEFAULT-VALUE}")
    long timeoutMs = 10_000;

    @Option(names = "--recovery-seconds", description = "Closed-loop seconds after the load. Default: ${DEFAULT-VALUE}")
    int recoverySeconds = 10;

    @Option(
            names = "--recovery-connections",
            description = "Requests in flight during recovery. Default: ${DEFAULT-VALUE}")
    int recoveryConnections = 8;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** What became of one request. */
    private record Outcome(
            int status, long latencyNanos, boolean correct, boolean degraded, int exit, boolean retryAfter) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ImageSet test = input.test();
        String model = input.model().manifest().name();
        if (grpc != null) {
            return grpcLoad(out, test, model);
        }
        List<byte[]> bodies = HttpLoad.bodies(test, parameters);
        URI infer = URI.create(url + "/v2/models/" + model + "/infer");
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();

        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        long intervalNanos = (long) (1e9 / rate);
        long begin = System.nanoTime();
        long start = begin + TimeUnit.SECONDS.toNanos(warmupSeconds);
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<CompletableFuture<Void>> inFlight = new java.util.ArrayList<>();
        int sent = 0;
        int warm = 0;
        for (long due = begin; due < end; due += intervalNanos, sent++) {
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            int image = sent % bodies.size();
            long dueAt = due;
            boolean measured = due >= start;
            warm += measured ? 0 : 1;
            inFlight.add(client.sendAsync(request(infer, bodies.get(image)), HttpResponse.BodyHandlers.ofByteArray())
                    .handle((r, error) -> {
                        if (measured) {
                            outcomes.add(outcome(r, error, dueAt, test.labels()[image]));
                        }
                        return null;
                    }));
        }
        double sendSeconds = (System.nanoTime() - start) / 1e9;
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
        report(out, outcomes, sent - warm, sendSeconds);

        AtomicLongArray perSecond = recovery(client, infer, bodies);
        StringBuilder line = new StringBuilder(
                "after the load, answers per second (closed loop, " + recoveryConnections + " in flight):");
        for (int s = 0; s < perSecond.length(); s++) {
            line.append(' ').append(perSecond.get(s));
        }
        out.println(line);
        return 0;
    }

    /** The same open loop over gRPC: batch-1 calls leave at the rate whatever became of earlier ones. */
    private int grpcLoad(PrintWriter out, ImageSet test, String model) throws Exception {
        List<ModelInferRequest> requests =
                GrpcLoadCommand.requests(test, model, 1, "FP32", GrpcLoadCommand.parameters(parameters));
        List<ManagedChannel> connections = new ArrayList<>();
        List<GRPCInferenceServiceGrpc.GRPCInferenceServiceStub> stubs = new ArrayList<>();
        for (int c = 0; c < Math.max(1, channels); c++) {
            ManagedChannel channel = NettyChannelBuilder.forTarget(grpc)
                    .usePlaintext()
                    .directExecutor()
                    .build();
            connections.add(channel);
            stubs.add(GRPCInferenceServiceGrpc.newStub(channel));
        }
        try {
            connections.forEach(c -> c.getState(true)); // connect before the clock starts
            Thread.sleep(500);
            ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
            long intervalNanos = (long) (1e9 / rate);
            long begin = System.nanoTime();
            long start = begin + TimeUnit.SECONDS.toNanos(warmupSeconds);
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            AtomicInteger pending = new AtomicInteger();
            int sent = 0;
            int warm = 0;
            for (long due = begin; due < end; due += intervalNanos, sent++) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                int image = sent % requests.size();
                long dueAt = due;
                boolean measured = due >= start;
                warm += measured ? 0 : 1;
                pending.incrementAndGet();
                stubs.get(sent % stubs.size())
                        .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
                        .modelInfer(requests.get(image), new StreamObserver<>() {
                            @Override
                            public void onNext(ModelInferResponse r) {
                                if (measured) {
                                    outcomes.add(grpcOutcome(r, dueAt, test.labels()[image]));
                                }
                            }

                            @Override
                            public void onError(Throwable t) {
                                if (measured) {
                                    outcomes.add(grpcFailure(t, dueAt));
                                }
                                pending.decrementAndGet();
                            }

                            @Override
                            public void onCompleted() {
                                pending.decrementAndGet();
                            }
                        });
            }
            double sendSeconds = (System.nanoTime() - start) / 1e9;
            while (pending.get() > 0) {
                Thread.sleep(10);
            }
            report(out, outcomes, sent - warm, sendSeconds);
            return 0;
        } finally {
            for (ManagedChannel channel : connections) {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static Outcome grpcOutcome(ModelInferResponse r, long due, int label) {
        long latency = System.nanoTime() - due;
        long predicted = r.getRawOutputContents(0)
                .asReadOnlyByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN)
                .getLong();
        int exit = r.getRawOutputContents(1)
                .asReadOnlyByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN)
                .getInt();
        InferParameter cut = r.getParametersMap().get("deadline_cut");
        return new Outcome(200, latency, predicted == label, cut != null && cut.getBoolParam(), exit, false);
    }

    /** A refusal the server chose (a client retries UNAVAILABLE and RESOURCE_EXHAUSTED) counts as a 503. */
    private static Outcome grpcFailure(Throwable t, long due) {
        long latency = System.nanoTime() - due;
        Status.Code code = Status.fromThrowable(t).getCode();
        if (code == Status.Code.DEADLINE_EXCEEDED) {
            return new Outcome(-1, latency, false, false, -1, false);
        }
        boolean refused = !GrpcLoadCommand.lostInTransport(t)
                && (code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED);
        return new Outcome(refused ? 503 : -2, latency, false, false, -1, refused);
    }

    private HttpRequest request(URI infer, byte[] body) {
        return HttpRequest.newBuilder(infer)
                .timeout(Duration.ofMillis(timeoutMs))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
    }

    private static Outcome outcome(HttpResponse<byte[]> r, Throwable error, long due, int label) {
        long latency = System.nanoTime() - due;
        if (error != null) {
            Throwable cause = error.getCause() != null ? error.getCause() : error;
            return new Outcome(cause instanceof HttpTimeoutException ? -1 : -2, latency, false, false, -1, false);
        }
        if (r.statusCode() != 200) {
            return new Outcome(
                    r.statusCode(),
                    latency,
                    false,
                    false,
                    -1,
                    r.headers().firstValue("Retry-After").isPresent());
        }
        JsonNode reply = JSON.readTree(r.body());
        int predicted = output(reply, "class").get(0).asInt();
        int exit = output(reply, "exit_stage").get(0).asInt();
        boolean degraded = reply.get("parameters").path("deadline_cut").asBoolean(false);
        return new Outcome(200, latency, predicted == label, degraded, exit, false);
    }

    private static JsonNode output(JsonNode reply, String name) {
        for (JsonNode o : reply.get("outputs")) {
            if (o.get("name").asString().equals(name)) {
                return o.get("data");
            }
        }
        throw new IllegalStateException("no output " + name);
    }

    private void report(PrintWriter out, ConcurrentLinkedQueue<Outcome> outcomes, int sent, double sendSeconds) {
        long answered = outcomes.stream().filter(o -> o.status == 200).count();
        long refused = outcomes.stream().filter(o -> o.status == 503).count();
        long refusedWithRetry =
                outcomes.stream().filter(o -> o.status == 503 && o.retryAfter).count();
        long timeouts = outcomes.stream().filter(o -> o.status == -1).count();
        long otherErrors = outcomes.size() - answered - refused - timeouts;
        long correct = outcomes.stream().filter(o -> o.correct).count();
        long degraded = outcomes.stream().filter(o -> o.degraded).count();
        long[] latencies = outcomes.stream()
                .filter(o -> o.status == 200)
                .mapToLong(Outcome::latencyNanos)
                .sorted()
                .toArray();
        long[] refusedLatencies = outcomes.stream()
                .filter(o -> o.status == 503)
                .mapToLong(Outcome::latencyNanos)
                .sorted()
                .toArray();
        int[] exits = new int[8];
        outcomes.stream().filter(o -> o.status == 200).forEach(o -> exits[Math.min(7, o.exit)]++);
        out.printf(
                Locale.ROOT,
                "sent %d in %.1f s (%.0f/s offered, %s)%n",
                sent,
                sendSeconds,
                sent / sendSeconds,
                parameters == null ? "no parameters" : parameters);
        out.printf(
                Locale.ROOT,
                "answered %d (%.0f/s), refused 503 %d (%d with Retry-After), client timeouts %d, other errors %d%n",
                answered,
                answered / sendSeconds,
                refused,
                refusedWithRetry,
                timeouts,
                otherErrors);
        if (latencies.length > 0) {
            out.printf(
                    Locale.ROOT,
                    "answered: p50 %.1f ms, p99 %.1f ms, max %.1f ms; accuracy %.2f %%; degraded %d (%.1f %%);"
                            + " exits per stage %s%n",
                    percentile(latencies, 0.50),
                    percentile(latencies, 0.99),
                    latencies[latencies.length - 1] / 1e6,
                    100.0 * correct / answered,
                    degraded,
                    100.0 * degraded / answered,
                    Arrays.toString(Arrays.copyOf(exits, 4)));
        }
        if (refusedLatencies.length > 0) {
            out.printf(
                    Locale.ROOT,
                    "refused: p50 %.1f ms, p99 %.1f ms%n",
                    percentile(refusedLatencies, 0.50),
                    percentile(refusedLatencies, 0.99));
        }
    }

    private static double percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    /** Answers per second from a closed loop of {@code recoveryConnections}, for {@code recoverySeconds}. */
    private AtomicLongArray recovery(HttpClient client, URI infer, List<byte[]> bodies) throws Exception {
        AtomicLongArray perSecond = new AtomicLongArray(recoverySeconds);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(recoverySeconds);
        Thread[] loops = new Thread[recoveryConnections];
        for (int c = 0; c < loops.length; c++) {
            int offset = c * 997;
            loops[c] = new Thread(() -> {
                for (int i = offset; System.nanoTime() < end; i++) {
                    try {
                        HttpResponse<byte[]> r = client.send(
                                request(infer, bodies.get(i % bodies.size())), HttpResponse.BodyHandlers.ofByteArray());
                        long second = (System.nanoTime() - start) / 1_000_000_000L;
                        if (r.statusCode() == 200 && second < recoverySeconds) {
                            perSecond.incrementAndGet((int) second);
                        }
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            loops[c].start();
        }
        for (Thread loop : loops) {
            loop.join();
        }
        return perSecond;
    }
}
