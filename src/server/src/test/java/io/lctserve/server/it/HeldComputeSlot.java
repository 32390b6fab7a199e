package io.lctserve.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lctserve.server.inference.InferenceGate;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.springframework.context.ApplicationContext;

/**
 * A compute slot of a running server, taken by the test through the server's own gate, so that
 * requests provably wait inside the server until the test lets go.
 */
final class HeldComputeSlot implements AutoCloseable {

    private final ExecutorService holder = Executors.newSingleThreadExecutor();
    private final CountDownLatch release = new CountDownLatch(1);

    private HeldComputeSlot() {}

    /** Returns once the slot is held. */
    static HeldComputeSlot take(ApplicationContext context) throws InterruptedException {
        InferenceGate gate = context.getBean(InferenceGate.class);
        LoadedModel model = context.getBean(ModelRegistry.class)
                .find(ShippedModel.NAME, null)
                .orElseThrow();
        InferenceMetrics.ModelMeters meters =
                context.getBean(InferenceMetrics.class).model(model);
        HeldComputeSlot slot = new HeldComputeSlot();
        CountDownLatch held = new CountDownLatch(1);
        slot.holder.submit(() -> gate.run(meters, () -> {
            held.countDown();
            return slot.release.await(1, TimeUnit.MINUTES);
        }));
        assertThat(held.await(30, TimeUnit.SECONDS)).as("compute slot taken").isTrue();
        return slot;
    }

    /** Gives the slot back to the server. */
    @Override
    public void close() {
        release.countDown();
        holder.shutdown();
    }
}
