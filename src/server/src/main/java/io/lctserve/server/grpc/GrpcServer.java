package io.lctserve.server.grpc;

import io.grpc.DecompressorRegistry;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.lctserve.server.config.LctServeProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The gRPC server (grpc-java on Netty) on {@code lctserve.grpc.port}: the inference service, health
 * and server reflection (so grpcurl needs no .proto). It starts with the application and stops
 * after the shutdown drain ({@code lctserve.drain}, during which health turns NOT_SERVING while
 * calls are still answered): then it takes no new calls and waits for those in flight, up to the
 * shutdown phase timeout, as Tomcat's graceful shutdown does.
 */
@Component
public class GrpcServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

    private final InferenceGrpcService inference;
    private final ReadinessHealth health;
    private final int port;
    private final int maxMessageBytes;
    private final Duration grace;
    private volatile Server server;

    public GrpcServer(
            InferenceGrpcService inference,
            ReadinessHealth health,
            LctServeProperties properties,
            @Value("${spring.lifecycle.timeout-per-shutdown-phase:30s}") Duration grace) {
        this.inference = inference;
        this.health = health;
        this.port = properties.grpc().port();
        this.maxMessageBytes = (int) Math.min(Integer.MAX_VALUE, properties.maxRequestBytes());
        this.grace = grace;
    }

    @Override
    public void start() {
        if (port < 0) {
            log.info("gRPC is off (lctserve.grpc.port=-1)");
            return;
        }
        // Every call runs on its connection's event loop: none blocks (an inference is handed on and
        // answered from the thread that computes it, InferenceService.submit), so under load a
        // call needs no thread of its own and no hand-over to one. Measured against a pool of call
        // threads running every call: docs/BENCHMARKS.md, "Transports".
        // Messages compressed with gzip or deflate (Triton's clients offer both). Reflection in v1 and
        // in v1alpha, which grpcurl before 1.9 and Python's reflection client ask for.
        try {
            server = NettyServerBuilder.forPort(port)
                    .directExecutor()
                    .maxInboundMessageSize(maxMessageBytes)
                    .decompressorRegistry(
                            DecompressorRegistry.getDefaultInstance().with(new DeflateCodec(), true))
                    .addService(inference)
                    .addService(health)
                    .addService(ProtoReflectionServiceV1.newInstance())
                    .addService(reflectionV1alpha())
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("gRPC cannot listen on port " + port + " (lctserve.grpc.port)", e);
        }
        log.info("gRPC: inference.GRPCInferenceService and grpc.health.v1 on port {}", server.getPort());
    }

    @SuppressWarnings("deprecation") // v1alpha is deprecated, and still what older clients ask for
    private static io.grpc.BindableService reflectionV1alpha() {
        return ProtoReflectionService.newInstance();
    }

    @Override
    public void stop() {
        Server s = server;
        if (s == null) {
            return;
        }
        s.shutdown();
        try {
            if (!s.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("gRPC calls still running after {} ms; cancelling them", grace.toMillis());
                s.shutdownNow();
            }
        } catch (InterruptedException e) {
            s.shutdownNow();
            Thread.currentThread().interrupt();
        }
        server = null;
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    /** After the shutdown drain (the highest phase), before the rest of the application. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1;
    }

    /** The port it listens on (the one picked when configured as 0), or -1 when off. */
    public int port() {
        Server s = server;
        return s == null ? -1 : s.getPort();
    }
}
