package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.lctserve.protocol.grpc.GRPCInferenceServiceGrpc;
import io.lctserve.protocol.grpc.ModelInferRequest;
import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.server.LctServeApplication;
import io.lctserve.server.grpc.GrpcServer;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.model.ModelRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * gRPC calls go through the same admission and the same shutdown as HTTP requests: one in-flight
 * count for both, beyond which a call is refused at once (RESOURCE_EXHAUSTED, or 503 over HTTP)
 * and counted as refused; at
 * shutdown health turns NOT_SERVING during the drain and the calls in flight are answered.
 * Calls are held inside the server by the test holding its one compute slot.
 */
class GrpcAdmissionAndShutdownTest {

    @Test
    void beyondMaxInFlightACallIsRefusedAndAtShutdownTheCallsInsideAreAnswered() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(LctServeApplication.class)
                .run(
                        "--server.port=0",
                        "--lctserve.max-concurrent-inferences=1",
                        "--lctserve.max-in-flight=2",
                        "--lctserve.drain=2s");
        ManagedChannel channel = channel(context);
        var stub = GRPCInferenceServiceGrpc.newFutureStub(channel);
        Counter refused = context.getBean(MeterRegistry.class)
                .get("lctserve.refused")
                .tag("model", ShippedModel.NAME)
                .counter();
        BatchScheduler scheduler = scheduler(context);
        Http http = new Http(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
        try (HeldComputeSlot slot = HeldComputeSlot.take(context)) {
            // one call in flight over each transport: together they fill max-in-flight
            var inside = stub.modelInfer(request(0));
            CompletableFuture<Http.Reply> overHttp = CompletableFuture.supplyAsync(
                    () -> http.postJson("/v2/models/fashion-mnist/infer", ShippedModel.inferBody(1, 1, null)));
            await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.queueLengths()[0] == 2);

            assertThatThrownBy(() -> stub.modelInfer(request(2)).get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                        assertThat(e.getStatus().getDescription())
                                .isEqualTo("the server is busy: 2 inference requests in flight"
                                        + " (lctserve.max-in-flight); retry later");
                    });
            assertThat(refused.count()).isEqualTo(1);
            Http.Reply refusedOverHttp =
                    http.postJson("/v2/models/fashion-mnist/infer", ShippedModel.inferBody(2, 1, null));
            assertThat(refusedOverHttp.status()).isEqualTo(503);
            assertThat(refusedOverHttp.body()).contains("2 inference requests in flight");
            assertThat(refused.count()).isEqualTo(2);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(context::close);
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> health.check(HealthCheckRequest.getDefaultInstance())
                                    .getStatus()
                            == ServingStatus.NOT_SERVING);
            slot.close();
            assertThat(inside.get(30, TimeUnit.SECONDS).getOutputsCount()).isEqualTo(4);
            assertThat(overHttp.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
            closing.get(60, TimeUnit.SECONDS);
        } finally {
            channel.shutdownNow();
            context.close();
        }
    }

    /**
     * A call that cannot start within the queue timeout gets HTTP's 503 message as UNAVAILABLE,
     * whether it found the model idle (and waited on a call thread) or queued behind it (and waited
     * on no thread at all), and leaves the queue.
     */
    @Test
    void aCallThatDoesNotStartWithinTheQueueTimeoutIsUnavailableAndLeavesTheQueue() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(LctServeApplication.class)
                .run("--server.port=0", "--lctserve.max-concurrent-inferences=1", "--lctserve.queue-timeout=300ms");
        ManagedChannel channel = channel(context);
        var stub = GRPCInferenceServiceGrpc.newFutureStub(channel);
        BatchScheduler scheduler = scheduler(context);
        try (HeldComputeSlot slot = HeldComputeSlot.take(context)) {
            var idle = stub.modelInfer(request(0));
            await().atMost(Duration.ofSeconds(30)).until(() -> scheduler.queueLengths()[0] == 1);
            var queued = stub.modelInfer(request(1));
            for (var call : List.of(idle, queued)) {
                assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS))
                        .cause()
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                            assertThat(e.getStatus().getDescription())
                                    .isEqualTo("no compute slot became free within 300 ms; retry later");
                        });
            }
            assertThat(scheduler.queueLengths()[0]).isZero();
            slot.close();
            assertThat(stub.modelInfer(request(2)).get(30, TimeUnit.SECONDS).getOutputsCount())
                    .isEqualTo(4);
        } finally {
            channel.shutdownNow();
            context.close();
        }
    }

    private static ManagedChannel channel(ConfigurableApplicationContext context) {
        return NettyChannelBuilder.forAddress(
                        "localhost", context.getBean(GrpcServer.class).port())
                .usePlaintext()
                .build();
    }

    private static BatchScheduler scheduler(ConfigurableApplicationContext context) {
        return context.getBean(BatchingEngine.class)
                .scheduler(context.getBean(ModelRegistry.class)
                        .find(ShippedModel.NAME, null)
                        .orElseThrow());
    }

    private static ModelInferRequest request(int image) {
        return ShippedModel.grpcRequest(image).build();
    }
}
