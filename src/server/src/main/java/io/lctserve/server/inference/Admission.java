package io.lctserve.server.inference;

import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.model.LoadedModel;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Which inference calls the server takes, whatever transport they came by: at most
 * {@code lctserve.max-in-flight} at once (one count across HTTP and gRPC), and none while the
 * model's queues hold more work than the queue timeout (at measured stage latencies). HTTP asks
 * {@link #refusal} before it reads a body, so shedding load costs almost nothing.
 */
@Component
public class Admission {

    private final BatchingEngine batching;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    public Admission(
            BatchingEngine batching,
            LctServeProperties properties,
            @Value("${server.tomcat.threads.max:200}") int requestThreads,
            MeterRegistry meters) {
        this.batching = batching;
        this.maxInFlight = properties.maxInFlight(requestThreads);
        // What an autoscaler watches (KEDA, the chart's keda.inFlight): the load as lctserve counts it
        Gauge.builder("lctserve.inflight", inFlight, AtomicInteger::get)
                .description("Inference calls taken and not yet answered, HTTP and gRPC together")
                .register(meters);
        Gauge.builder("lctserve.inflight.limit", () -> maxInFlight)
                .description("Inference calls taken at most at once (lctserve.max-in-flight); more are refused")
                .register(meters);
    }

    /** Why a call for {@code model} (null: one the server does not serve) would be refused now; null if taken. */
    public InferenceException refusal(LoadedModel model) {
        return inFlight.get() >= maxInFlight ? busy() : queueRefusal(model);
    }

    /** Counts a call in; the refusal (nothing counted) when it is not taken. */
    InferenceException enter(LoadedModel model) {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            return busy();
        }
        InferenceException queue = queueRefusal(model);
        if (queue != null) {
            inFlight.decrementAndGet();
        }
        return queue;
    }

    void leave() {
        inFlight.decrementAndGet();
    }

    /** Inference calls taken and not yet answered, every transport's. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The model's queues hold more work than the queue timeout, at measured stage latencies. */
    private InferenceException queueRefusal(LoadedModel model) {
        String queue = model == null ? null : batching.queueRefusal(model);
        return queue == null ? null : new ServerBusyException(queue + "; retry later");
    }

    private InferenceException busy() {
        return new InferenceException(
                InferenceException.Kind.EXHAUSTED,
                "the server is busy: " + maxInFlight
                        + " inference requests in flight (lctserve.max-in-flight); retry later");
    }
}
