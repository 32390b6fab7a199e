package io.lctserve.server.http.v2;

import io.lctserve.server.inference.Call;
import io.lctserve.server.inference.InferenceCall;
import io.lctserve.server.inference.InferenceException;
import io.lctserve.server.inference.InferenceResult;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.protocol.InferAnswer;
import io.lctserve.server.protocol.OpenInferenceCall;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.json.JsonMapper;

/**
 * One call answered as Server-Sent Events: each answer a {@code data:} event holding the JSON answer
 * with {@code triton_final_response} in its parameters, a failure after the first event an
 * {@code error} event with {@code {"error": ...}}. A failure before any event (an unknown model, a
 * malformed request) is thrown instead, so the client gets an ordinary error status. A client that
 * has gone (a write fails, the connection closes) cancels the call.
 */
final class AnswerEvents extends OpenInferenceCall.StreamResponder {

    /** Response parameter (Triton's decoupled convention): whether this answer is the call's last. */
    static final String FINAL = "triton_final_response";

    /** A stream left open this long is closed and its call cancelled (a client that never reads). */
    private static final long TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(5);

    private final JsonMapper json;
    private final SseEmitter events = new SseEmitter(TIMEOUT_MILLIS);
    private volatile Call handle;
    private InferenceException early; // guarded by this: a failure before start() returned
    private boolean started; // guarded by this

    AnswerEvents(OpenInferenceCall call, JsonMapper json) {
        super(call);
        this.json = json;
    }

    /** Submits the call; its events follow on the emitter returned. */
    SseEmitter start(InferenceService inference, InferenceCall inferenceCall) {
        Call submitted = inference.submit(inferenceCall, this);
        handle = submitted;
        events.onTimeout(submitted::cancel);
        events.onError(error -> submitted.cancel());
        synchronized (this) {
            started = true;
            if (early != null) {
                throw early;
            }
        }
        return events;
    }

    @Override
    public void progress(InferenceResult soFar) {
        send(soFar, false);
    }

    @Override
    public void answer(InferenceResult result) {
        if (send(result, true)) {
            events.complete();
        }
    }

    @Override
    public void fail(InferenceException error) {
        synchronized (this) {
            if (!started) {
                early = error; // thrown by start(): an ordinary error answer
                return;
            }
        }
        try {
            events.send(SseEmitter.event()
                    .name("error")
                    .data(json.writeValueAsString(Map.of("error", error.getMessage()))));
            events.complete();
        } catch (IOException | IllegalStateException gone) {
            events.completeWithError(gone);
        }
    }

    /** Sends one answer; false (and the call cancelled) when the client has gone. */
    private boolean send(InferenceResult result, boolean last) {
        InferAnswer answer = call.answer(result);
        Map<String, Object> parameters = new LinkedHashMap<>(answer.parameters());
        parameters.put(FINAL, last);
        try {
            events.send(SseEmitter.event()
                    .data(
                            json.writeValueAsString(new InferAnswer(
                                    answer.modelName(),
                                    answer.modelVersion(),
                                    answer.id(),
                                    parameters,
                                    answer.outputs())),
                            MediaType.APPLICATION_JSON));
            return true;
        } catch (IOException | IllegalStateException gone) {
            Call c = handle;
            if (c != null) {
                c.cancel();
            }
            events.completeWithError(gone);
            return false;
        }
    }
}
