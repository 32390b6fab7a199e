package io.lctserve.server.api;

import io.lctserve.server.inference.Knob;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;

/**
 * One inference request as {@link RequestMetrics} records it: made when the request arrives, told
 * by the controller which model and mode it turned out to ask for. A controller takes it as a
 * {@code @RequestAttribute(RequestRecord.ATTRIBUTE)} parameter.
 */
public final class RequestRecord {

    public static final String ATTRIBUTE = "lctserve.request";

    private final long receivedNanos;
    private LoadedModel model;
    private String mode = InferenceMetrics.UNKNOWN_MODE;

    RequestRecord(long receivedNanos) {
        this.receivedNanos = receivedNanos;
    }

    /** {@link System#nanoTime()} when the request arrived, before its body was read: deadlines count from here. */
    public long receivedNanos() {
        return receivedNanos;
    }

    /** The request is for this model: from here on its outcome is recorded. */
    public void model(LoadedModel found) {
        this.model = found;
    }

    /** The knob could be read. */
    public void knob(Knob knob) {
        this.mode = knob.modeOrDefault().wireName();
    }

    LoadedModel model() {
        return model;
    }

    String mode() {
        return mode;
    }
}
