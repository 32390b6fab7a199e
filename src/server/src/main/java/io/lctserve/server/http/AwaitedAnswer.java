package io.lctserve.server.http;

import io.lctserve.server.inference.Call;
import io.lctserve.server.inference.InferenceCall;
import io.lctserve.server.inference.InferenceException;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.inference.Responder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A unary HTTP call's answer, waited for on its request thread (which computes the call itself when
 * the model is idle): the result, or the call's failure thrown for the error handler to answer.
 */
public final class AwaitedAnswer implements Responder {

    private final CompletableFuture<InferenceResult> answer = new CompletableFuture<>();

    private AwaitedAnswer() {}

    /** Submits {@code call} and waits for its answer. */
    public static InferenceResult of(InferenceService inference, InferenceCall call) throws InterruptedException {
        AwaitedAnswer awaited = new AwaitedAnswer();
        Call submitted = inference.submit(call, awaited);
        try {
            return awaited.answer.get();
        } catch (ExecutionException e) {
            throw (InferenceException) e.getCause();
        } catch (InterruptedException e) {
            submitted.cancel(); // nobody waits for it any more (the server is stopping)
            throw e;
        }
    }

    @Override
    public void answer(InferenceResult result) {
        answer.complete(result);
    }

    @Override
    public void fail(InferenceException error) {
        answer.completeExceptionally(error);
    }
}
