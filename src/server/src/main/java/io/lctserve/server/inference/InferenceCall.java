package io.lctserve.server.inference;

import io.lctserve.runtime.ExitPlan;
import io.lctserve.runtime.batching.Caller;
import io.lctserve.server.model.LoadedModel;

/**
 * One inference call as a transport hands it to {@link InferenceService#submit}: which model, how to
 * read the request once the model is known, when it arrived, its own time limit, and what the
 * calling thread may do.
 *
 * @param model the model's name
 * @param version null for the newest
 * @param reader reads the request against the model: the knob and the input (a request the model
 *     cannot take throws {@link InferenceException})
 * @param receivedNanos {@link System#nanoTime()} when it arrived: a deadline counts from here
 * @param callDeadlineNanos the transport's own deadline for the call (gRPC's), or
 *     {@link ExitPlan#NO_DEADLINE}: the latency budget when the knob gives none
 * @param caller whether the calling thread may compute the request itself
 */
public record InferenceCall(
        String model, String version, Reader reader, long receivedNanos, long callDeadlineNanos, Caller caller) {

    /**
     * Reads a request against the model it names: the knob first, so that a request whose input is
     * then refused is recorded under the mode it asked for.
     */
    public interface Reader {
        Knob knob(LoadedModel model);

        ModelInput input(LoadedModel model);

        /** How much of each sample's way the caller wants to see. */
        default Detail detail() {
            return Detail.ANSWERS;
        }
    }

    /** How much a caller wants to see of each sample's way. */
    public enum Detail {
        /** The answers. */
        ANSWERS,
        /** The answers and every head's probabilities on the way (for people). */
        EVERY_HEAD
    }
}
