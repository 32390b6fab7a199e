package io.lctserve.server.inference;

/**
 * Why an inference was not answered, in kinds every transport can name (HTTP with a status, gRPC
 * with a code); the message names the problem for the client.
 */
public class InferenceException extends RuntimeException {

    /** What kind of failure, so a transport can tell the client's mistakes from a full server. */
    public enum Kind {
        /** The request is malformed or asks for something the model cannot do. */
        INVALID,
        /** The request (an upload) is larger than the server takes. */
        TOO_LARGE,
        /** No such model or version. */
        NOT_FOUND,
        /** The server cannot serve it now (queues full, queue timeout, a model unloading or failed): retry later. */
        UNAVAILABLE,
        /** Too many requests in flight: retry later. */
        EXHAUSTED,
        /** The server's own trouble; the log has the details. */
        INTERNAL
    }

    private final Kind kind;

    public InferenceException(Kind kind, String message) {
        // No stack trace: this is an answer to the client, never a fault to trace (a fault is logged
        // with its own cause where it is caught), and refusals under overload come thousands a second.
        super(message, null, true, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The outcome tag {@code lctserve.requests} records for a request that ended so. */
    public String outcome() {
        return switch (kind) {
            case INVALID, TOO_LARGE, NOT_FOUND -> "invalid";
            case UNAVAILABLE, EXHAUSTED -> "busy";
            case INTERNAL -> "error";
        };
    }
}
