package io.lctserve.server.inference;

import ai.onnxruntime.OrtException;
import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.runtime.batching.PendingRequest;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import jakarta.annotation.PreDestroy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Service;

/**
 * One inference, whichever endpoint it came through: decide what the knob means for the model, then
 * either hand the samples to the model's batching scheduler (they share stage runs with other
 * requests' samples) or, with batching off, wait for a compute slot and run the request alone. The
 * stages and answers are recorded as they happen.
 *
 * <p>Two ways to wait: {@link #infer} blocks its caller (HTTP's request threads, which may also run a
 * lone request themselves when the workers are idle); {@link #inferAsync} never blocks (gRPC's
 * event loops). Under load its requests go to the batching workers and the answer comes on the
 * worker that finishes the request, so a call costs no thread of its own and no hand-over to one; a
 * lone request that finds the model idle runs at once on a call thread, as a lone HTTP request does
 * on its own.
 */
@Service
public class InferenceService {

    private final KnobResolver resolver;
    private final InferenceGate gate;
    private final BatchingEngine batching;
    private final InferenceMetrics metrics;
    private final long queueTimeoutNanos;
    /**
     * Runs the requests {@link #inferAsync} gets that compute alone: on an idle model, or on one
     * whose batching is off.
     */
    private final ExecutorService calls;

    public InferenceService(
            KnobResolver resolver,
            InferenceGate gate,
            BatchingEngine batching,
            InferenceMetrics metrics,
            LctServeProperties properties) {
        this.resolver = resolver;
        this.gate = gate;
        this.batching = batching;
        this.metrics = metrics;
        this.queueTimeoutNanos = properties.queueTimeout().toNanos();
        AtomicInteger named = new AtomicInteger();
        // a cached pool hands a request to the thread that went idle last, whose caches are warm
        this.calls = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "lctserve-call-" + named.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * @param receivedNanos when the request arrived; a deadline counts from there
     * @param keepHeads keep every head's probabilities per sample (for people)
     */
    public InferenceResult infer(LoadedModel model, ModelInput input, Knob knob, long receivedNanos, boolean keepHeads)
            throws OrtException, InterruptedException {
        ResolvedKnob resolved = resolver.resolve(model, knob, receivedNanos, keepHeads);
        InferenceMetrics.ModelMeters meters = metrics.model(model);
        acquire(model);
        try {
            BatchScheduler scheduler = batching.scheduler(model);
            BatchResult batch = scheduler == null
                    ? gate.run(meters, () -> model.predictor()
                            .predict(input.pixels(), input.shape(), resolved.plan(), meters))
                    : batched(scheduler, input, resolved, meters);
            return new InferenceResult(batch, resolved.rule());
        } finally {
            model.release();
        }
    }

    /**
     * The same inference without blocking the caller. A request the knob or the queues refuse fails
     * the returned future as {@link #infer} would throw.
     *
     * @param lone no other request of the caller's transport is in flight: if the model is idle too,
     *     the request runs at once on a call thread (a hand-over to a worker and its stage-by-stage
     *     queues cost a lone full-mode call 0.86x its throughput); under load it goes to the workers
     */
    public CompletableFuture<InferenceResult> inferAsync(
            LoadedModel model, ModelInput input, Knob knob, long receivedNanos, boolean lone) {
        BatchScheduler scheduler = batching.scheduler(model);
        if (scheduler == null || (lone && scheduler.runsInlineNow())) {
            return CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return infer(model, input, knob, receivedNanos, false);
                        } catch (OrtException | InterruptedException e) {
                            throw new CompletionException(e);
                        }
                    },
                    calls);
        }
        CompletableFuture<InferenceResult> answer = new CompletableFuture<>();
        try {
            ResolvedKnob resolved = resolver.resolve(model, knob, receivedNanos, false);
            InferenceMetrics.ModelMeters meters = metrics.model(model);
            acquire(model);
            PendingRequest pending;
            try {
                pending = submit(scheduler, input, resolved, meters, false);
            } catch (RuntimeException e) {
                model.release();
                throw e;
            }
            pending.whenDone(queueTimeoutNanos, (batch, error) -> {
                model.release();
                meters.recordQueue(pending.queueNanos());
                if (error == null) {
                    answer.complete(new InferenceResult(batch, resolved.rule()));
                } else {
                    answer.completeExceptionally(error instanceof TimeoutException ? queueTimedOut() : error);
                }
            });
        } catch (RuntimeException e) {
            answer.completeExceptionally(e);
        }
        return answer;
    }

    private static void acquire(LoadedModel model) {
        if (!model.acquire()) { // taken out of the repository since the request looked it up
            throw new ServerBusyException(
                    "model " + model.name() + " version " + model.version() + " is being unloaded; retry later");
        }
    }

    private BatchResult batched(
            BatchScheduler scheduler, ModelInput input, ResolvedKnob resolved, InferenceMetrics.ModelMeters meters)
            throws OrtException, InterruptedException {
        PendingRequest pending = submit(scheduler, input, resolved, meters, true);
        try {
            return pending.await(queueTimeoutNanos);
        } catch (TimeoutException e) {
            throw queueTimedOut();
        } finally {
            meters.recordQueue(pending.queueNanos());
        }
    }

    private static PendingRequest submit(
            BatchScheduler scheduler,
            ModelInput input,
            ResolvedKnob resolved,
            InferenceMetrics.ModelMeters meters,
            boolean mayRunInline) {
        try {
            return scheduler.submit(input.pixels(), input.shape(), resolved.plan(), resolved.priority(), mayRunInline);
        } catch (RejectedExecutionException e) {
            meters.recordQueue(0);
            throw new ServerBusyException(e.getMessage() + "; retry later");
        }
    }

    private ServerBusyException queueTimedOut() {
        return new ServerBusyException(
                "no compute slot became free within " + queueTimeoutNanos / 1_000_000 + " ms; retry later");
    }

    @PreDestroy
    void close() {
        calls.shutdownNow();
    }
}
