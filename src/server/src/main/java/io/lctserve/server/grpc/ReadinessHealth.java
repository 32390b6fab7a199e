package io.lctserve.server.grpc;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.lctserve.server.lifecycle.ServerReadiness;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.stereotype.Component;

/**
 * The standard {@code grpc.health.v1.Health} service, for Kubernetes' gRPC probes and
 * grpc-health-probe. The server ({@code ""}) and {@code inference.GRPCInferenceService} are SERVING
 * when the server is ready (models loaded, not draining); {@code liveness} is SERVING while the
 * process answers. Each check asks afresh; a watch is told of every change within a second.
 */
@Component
public class ReadinessHealth extends HealthGrpc.HealthImplBase {

    static final String INFERENCE_SERVICE = "inference.GRPCInferenceService";
    static final String LIVENESS = "liveness";

    private final ServerReadiness readiness;
    private final ScheduledExecutorService watches = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "grpc-health-watch");
        t.setDaemon(true);
        return t;
    });

    public ReadinessHealth(ServerReadiness readiness) {
        this.readiness = readiness;
    }

    @Override
    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
        ServingStatus status = status(request.getService());
        if (status == null) {
            out.onError(Status.NOT_FOUND
                    .withDescription("unknown service '" + request.getService() + "'; health is kept for '', "
                            + INFERENCE_SERVICE + " and " + LIVENESS)
                    .asRuntimeException());
            return;
        }
        out.onNext(response(status));
        out.onCompleted();
    }

    @Override
    public void watch(HealthCheckRequest request, StreamObserver<HealthCheckResponse> out) {
        ServerCallStreamObserver<HealthCheckResponse> call = (ServerCallStreamObserver<HealthCheckResponse>) out;
        AtomicReference<ServingStatus> last = new AtomicReference<>();
        Runnable send = () -> {
            ServingStatus now = status(request.getService());
            ServingStatus shown = now == null ? ServingStatus.SERVICE_UNKNOWN : now;
            if (shown != last.getAndSet(shown) && !call.isCancelled()) {
                synchronized (call) {
                    call.onNext(response(shown));
                }
            }
        };
        send.run();
        ScheduledFuture<?> polling = watches.scheduleWithFixedDelay(send, 1, 1, TimeUnit.SECONDS);
        call.setOnCancelHandler(() -> polling.cancel(false));
    }

    /** Null for a service this server does not know. */
    private ServingStatus status(String service) {
        if (service.isEmpty() || service.equals(INFERENCE_SERVICE)) {
            return readiness.ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        }
        return service.equals(LIVENESS) ? ServingStatus.SERVING : null;
    }

    private static HealthCheckResponse response(ServingStatus status) {
        return HealthCheckResponse.newBuilder().setStatus(status).build();
    }
}
