package io.lctserve.server.grpc;

import io.grpc.InternalStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lctserve.server.inference.InferenceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures as gRPC status codes, with the messages HTTP gives: the client's mistakes
 * INVALID_ARGUMENT or NOT_FOUND, a full server RESOURCE_EXHAUSTED or UNAVAILABLE (retry later), the
 * server's own trouble INTERNAL with no details (the log has them).
 */
final class GrpcErrors {

    private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    /**
     * The failure as the exception a call closes with, without a stack trace: the client never sees
     * one, and under overload refusals come thousands a second on the event loop.
     */
    static StatusRuntimeException exception(Throwable e) {
        return InternalStatus.asRuntimeExceptionWithoutStacktrace(status(e), null);
    }

    static Status status(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus();
        }
        if (e instanceof InferenceException failure) {
            Status status =
                    switch (failure.kind()) {
                        case INVALID -> Status.INVALID_ARGUMENT;
                        case NOT_FOUND -> Status.NOT_FOUND;
                        case UNAVAILABLE -> Status.UNAVAILABLE;
                        case EXHAUSTED, TOO_LARGE -> Status.RESOURCE_EXHAUSTED;
                        case INTERNAL -> Status.INTERNAL;
                    };
            return status.withDescription(e.getMessage());
        }
        log.error("gRPC request failed", e);
        return Status.INTERNAL.withDescription("internal error; the server log has the details");
    }
}
