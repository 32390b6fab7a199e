package io.lctserve.bench;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelStreamInferResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streams cancelled as soon as their first answer arrives, one after another, and how many runs of
 * each stage they still cost: the server's own stage-run counter, read from its Prometheus endpoint
 * before and after (once it has stopped moving).
 */
final class CancelledStreams {

    private static final Pattern STAGE_RUNS =
            Pattern.compile("lctserve_stage_compute_seconds_count\\{[^}]*stage=\"(\\d+)\"[^}]*} ([0-9.E+]+)");

    private final String metrics;
    private final int stages;
    private final HttpClient http = HttpClient.newHttpClient();

    /** @param metrics the server's Prometheus endpoint */
    CancelledStreams(String metrics, int stages) {
        this.metrics = metrics;
        this.stages = stages;
    }

    /** Runs every request as a stream cancelled after its first answer; returns each stage's extra runs. */
    long[] stageRunsOf(GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub, List<ModelInferRequest> requests)
            throws Exception {
        double[] before = stageRuns();
        for (ModelInferRequest request : requests) {
            cancelAfterFirstAnswer(stub, request);
        }
        double[] after = awaitQuiet(before);
        long[] grew = new long[stages];
        for (int k = 0; k < stages; k++) {
            grew[k] = Math.round(after[k] - before[k]);
        }
        return grew;
    }

    private static void cancelAfterFirstAnswer(
            GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub, ModelInferRequest request) throws Exception {
        CompletableFuture<Void> first = new CompletableFuture<>();
        ClientCallStreamObserver<ModelInferRequest>[] call = new ClientCallStreamObserver[1];
        stub.modelStreamInfer(new ClientResponseObserver<ModelInferRequest, ModelStreamInferResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ModelInferRequest> requests) {
                call[0] = requests;
            }

            @Override
            public void onNext(ModelStreamInferResponse response) {
                if (!response.getErrorMessage().isEmpty()) {
                    first.completeExceptionally(new IllegalStateException(response.getErrorMessage()));
                } else if (!first.isDone()) {
                    call[0].cancel("the first answer is enough", null);
                    first.complete(null);
                }
            }

            @Override
            public void onError(Throwable t) {
                first.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                first.complete(null);
            }
        });
        call[0].onNext(request);
        first.get(30, TimeUnit.SECONDS);
    }

    private double[] stageRuns() throws Exception {
        HttpResponse<String> r =
                http.send(HttpRequest.newBuilder(URI.create(metrics)).build(), HttpResponse.BodyHandlers.ofString());
        double[] runs = new double[stages];
        Matcher m = STAGE_RUNS.matcher(r.body());
        while (m.find()) {
            int k = Integer.parseInt(m.group(1));
            if (k < stages) {
                runs[k] += Double.parseDouble(m.group(2));
            }
        }
        return runs;
    }

    /** The stage-run counts once they stop moving (the cancelled calls' last stage runs have ended). */
    private double[] awaitQuiet(double[] before) throws Exception {
        double[] last = before;
        for (int i = 0; i < 50; i++) {
            Thread.sleep(100);
            double[] now = stageRuns();
            if (Arrays.equals(now, last) && i > 2) {
                return now;
            }
            last = now;
        }
        return last;
    }
}
