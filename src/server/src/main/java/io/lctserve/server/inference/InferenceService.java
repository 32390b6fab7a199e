package io.lctserve.server.inference;

import io.lctserve.runtime.BatchResult;
import io.lctserve.runtime.SampleListener;
import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.runtime.batching.Caller;
import io.lctserve.runtime.batching.DeadlineRefusal;
import io.lctserve.runtime.batching.Job;
import io.lctserve.runtime.batching.PendingRequest;
import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import jakarta.annotation.PreDestroy;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The one entry of every inference, whichever transport it came by: {@link #submit} takes a call and
 * a {@link Responder}, and answers through it, once (after provisional answers, for a progressive
 * caller). It owns what happens in between: the model lookup, admission (one in-flight count for
 * every transport, {@link Admission}), reading the request, what the knob means for the model
 * ({@link KnobResolver}), handing the samples to the model's batching scheduler (or, with batching
 * off, running them alone once a compute slot is free), cancellation, and recording the call once
 * in {@code lctserve.requests}, whatever became of it.
 *
 * <p>Where it computes: a caller that may compute (an HTTP request thread) runs a lone request itself
 * when the model is idle; one that must not block (gRPC's event loop) hands it to the batching
 * workers, or, as the only call in flight on an idle model, to a call thread (a hand-over to a worker
 * and its stage-by-stage queues cost a lone full-mode call 0.86x its throughput); a lone progressive
 * call runs its first stage on the event loop itself, so that its first answer leaves without a
 * hand-over, and its later stages on the workers.
 */
@Service
public class InferenceService {

    private static final Logger log = LoggerFactory.getLogger(InferenceService.class);

    private final ModelLookup lookup;
    private final Admission admission;
    private final KnobResolver resolver;
    private final InferenceGate gate;
    private final BatchingEngine batching;
    private final InferenceMetrics metrics;
    private final ShadowVerification verification;
    private final ExitWatch exits;
    /** Runs the calls of callers that must not block which compute alone (an idle model, or batching off). */
    private final ExecutorService calls;

    public InferenceService(
            ModelLookup lookup,
            Admission admission,
            KnobResolver resolver,
            InferenceGate gate,
            BatchingEngine batching,
            InferenceMetrics metrics,
            ShadowVerification verification,
            ExitWatch exits,
            LctServeProperties properties) {
        this.lookup = lookup;
        this.admission = admission;
        this.resolver = resolver;
        this.gate = gate;
        this.batching = batching;
        this.metrics = metrics;
        this.verification = verification;
        this.exits = exits;
        AtomicInteger named = new AtomicInteger();
        // a cached pool hands a request to the thread that went idle last, whose caches are warm
        this.calls = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "lctserve-call-" + named.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Takes a call; it is answered through {@code responder}, on this thread if it computed here (or
     * was refused), else on the thread that finishes it.
     *
     * @return the call, which its caller may cancel until it is answered
     */
    public Call submit(InferenceCall call, Responder responder) {
        LoadedModel model;
        try {
            model = lookup.find(call.model(), call.version());
        } catch (InferenceException e) {
            Call none = new Call(() -> {});
            responder.fail(e); // a model it does not serve: not recorded
            return none;
        }
        InferenceMetrics.ModelMeters meters = metrics.model(model);
        InferenceException refused = admission.enter(model);
        if (refused != null) {
            meters.recordRefused(); // refused before any work: not a request outcome
            responder.fail(refused);
            return new Call(() -> {});
        }
        Run run = new Run(model, meters, call, responder);
        run.start();
        return run.handle;
    }

    /** One call from admission to its answer. */
    private final class Run {
        final LoadedModel model;
        final InferenceMetrics.ModelMeters meters;
        final InferenceCall call;
        final Responder responder;
        final Call handle;
        String mode = InferenceMetrics.UNKNOWN_MODE;
        ResolvedKnob resolved;
        Job job;
        boolean held; // holds the model (released when answered)
        volatile boolean answeredOnce; // a progressive call's first answer was timed

        Run(LoadedModel model, InferenceMetrics.ModelMeters meters, InferenceCall call, Responder responder) {
            this.model = model;
            this.meters = meters;
            this.call = call;
            this.responder = responder;
            this.handle = new Call(meters::recordStreamCancelled);
        }

        void start() {
            try {
                Knob knob = call.reader().knob(model);
                mode = knob.modeOrDefault().wireName();
                ModelInput input = call.reader().input(model);
                resolved = resolver.resolve(
                        model,
                        knob,
                        call.receivedNanos(),
                        call.callDeadlineNanos(),
                        call.reader().detail());
                if (!model.acquire()) { // taken out of the repository since the call looked it up
                    throw new ServerBusyException("model " + model.name() + " version " + model.version()
                            + " is being unloaded; retry later");
                }
                held = true;
                job = new Job(
                        input.pixels(), input.shape(), resolved.plan(), resolved.priority(), samples(input.shape()[0]));
                BatchScheduler scheduler = batching.scheduler(model);
                if (scheduler == null) {
                    alone(job);
                } else if (call.caller() == Caller.MUST_NOT_BLOCK
                        && admission.inFlight() == 1
                        && scheduler.runsInlineNow()) {
                    if (responder.progressive()) { // its first answer leaves from here, at once
                        batched(scheduler, job, Caller.MAY_RUN_FIRST_STAGE);
                    } else {
                        calls.execute(() -> batched(scheduler, job, Caller.MAY_COMPUTE));
                    }
                } else {
                    batched(scheduler, job, call.caller());
                }
            } catch (RuntimeException | Error e) {
                finish(null, e);
            }
        }

        /** What the runtime tells about this call's samples: progress for a progressive caller, and cancellation. */
        private SampleListener samples(long batch) {
            if (!responder.progressive()) {
                return new SampleListener() {
                    @Override
                    public boolean cancelled() {
                        return handle.cancelled();
                    }
                };
            }
            return new ProgressiveAnswers(
                    handle,
                    (int) batch,
                    model.exitCount(),
                    model.cost().fullModel() * batch,
                    responder.pauseNanos(),
                    this::progress);
        }

        private void batched(BatchScheduler scheduler, Job job, Caller caller) {
            PendingRequest pending;
            try {
                pending = scheduler.submit(job, caller);
            } catch (RejectedExecutionException e) { // a full queue, or a deadline it cannot meet
                meters.recordQueue(0);
                finish(null, e);
                return;
            } catch (RuntimeException e) {
                finish(null, e);
                return;
            }
            handle.queued(scheduler, pending);
            pending.whenDone((batch, error) -> {
                meters.recordQueue(pending.queueNanos());
                finish(batch, error instanceof TimeoutException ? queueTimedOut() : error);
            });
        }

        /** Batching off: the request runs alone once a compute slot is free, here or on a call thread. */
        private void alone(Job job) {
            Runnable compute = () -> {
                BatchResult batch;
                try {
                    batch = gate.run(meters, () -> model.predictor()
                            .predict(job.pixels(), job.shape(), job.plan(), meters, job.listener()));
                } catch (Exception | Error e) {
                    finish(null, e);
                    return;
                }
                finish(batch, null);
            };
            if (call.caller() == Caller.MAY_COMPUTE) {
                compute.run();
            } else {
                calls.execute(compute);
            }
        }

        private void progress(BatchResult soFar) {
            if (!handle.cancelled()) {
                firstAnswer();
                responder.progress(new InferenceResult(model, soFar, resolved.rule(), resolved.contract()));
            }
        }

        private void firstAnswer() {
            if (!answeredOnce) {
                answeredOnce = true;
                if (responder.progressive()) {
                    meters.recordFirstAnswer(System.nanoTime() - call.receivedNanos());
                }
            }
        }

        /** Answers the call once, with its result or why it failed, and records it. */
        private void finish(BatchResult batch, Throwable error) {
            if (!handle.end()) {
                return;
            }
            if (held) {
                model.release();
            }
            admission.leave();
            InferenceException failure = error == null ? null : failure(error);
            String outcome = failure == null ? "success" : handle.cancelled() ? "cancelled" : failure.outcome();
            meters.recordRequest(mode, outcome, System.nanoTime() - call.receivedNanos());
            if (handle.cancelled()) {
                return; // its caller has gone: nobody to answer
            }
            if (failure == null) {
                firstAnswer();
                responder.answer(new InferenceResult(model, batch, resolved.rule(), resolved.contract()));
                exits.afterAnswer(model, resolved, job, batch); // first: a shift raises what is verified
                verification.afterAnswer(model, resolved, job, batch);
            } else {
                responder.fail(failure);
            }
        }
    }

    private InferenceException failure(Throwable error) {
        if (error instanceof InferenceException e) {
            return e;
        }
        if (error instanceof CancellationException) {
            return new InferenceException(InferenceException.Kind.UNAVAILABLE, "the call was cancelled");
        }
        if (error instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new ServerBusyException("the server is shutting down; retry later");
        }
        if (error instanceof DeadlineRefusal missed) {
            return ServerBusyException.deadline(missed.getMessage() + "; retry with a longer deadline or later");
        }
        if (error instanceof RejectedExecutionException rejected) {
            return new ServerBusyException(rejected.getMessage() + "; retry later");
        }
        log.error("Inference failed", error);
        return new InferenceException(
                InferenceException.Kind.INTERNAL, "internal error; the server log has the details");
    }

    private ServerBusyException queueTimedOut() {
        return new ServerBusyException(
                "no compute slot became free within " + batching.queueTimeout().toMillis() + " ms; retry later");
    }

    @PreDestroy
    void close() {
        calls.shutdownNow();
    }
}
