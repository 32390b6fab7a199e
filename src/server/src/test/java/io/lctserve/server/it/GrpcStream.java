package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.protocol.grpc.ModelStreamInferResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** One ModelStreamInfer stream as a test drives it: send requests, read what comes back, cancel. */
final class GrpcStream {

    final List<ModelStreamInferResponse> responses = Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final CountDownLatch first = new CountDownLatch(1);
    private volatile ClientCallStreamObserver<ModelInferRequest> requests;

    GrpcStream(Channel channel) {
        GRPCInferenceServiceGrpc.newStub(channel)
                .modelStreamInfer(new ClientResponseObserver<ModelInferRequest, ModelStreamInferResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<ModelInferRequest> stream) {
                        requests = stream;
                    }

                    @Override
                    public void onNext(ModelStreamInferResponse response) {
                        responses.add(response);
                        first.countDown();
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(null);
                    }
                });
    }

    GrpcStream send(ModelInferRequest request) {
        requests.onNext(request);
        return this;
    }

    /** Half-closes the stream and waits until the server has answered everything and ended it. */
    List<ModelStreamInferResponse> finish() throws Exception {
        requests.onCompleted();
        ended.get(60, TimeUnit.SECONDS);
        return List.copyOf(responses);
    }

    void awaitFirstResponse() throws InterruptedException {
        assertThat(first.await(30, TimeUnit.SECONDS)).as("a first response").isTrue();
    }

    void cancel() {
        requests.cancel("the test has what it needs", null);
    }
}
