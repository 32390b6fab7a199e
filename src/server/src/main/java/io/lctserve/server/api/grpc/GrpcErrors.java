package io.lctserve.server.api.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lctserve.server.api.ApiException;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.inference.ServerBusyException;
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

    static Status status(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus();
        }
        if (e instanceof InvalidRequestException) {
            return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
        }
        if (e instanceof ServerBusyException) {
            return Status.UNAVAILABLE.withDescription(e.getMessage());
        }
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return Status.UNAVAILABLE.withDescription("the server is shutting down; retry later");
        }
        if (e instanceof ApiException api) {
            Status status =
                    switch (api.status()) {
                        case NOT_FOUND -> Status.NOT_FOUND;
                        case SERVICE_UNAVAILABLE -> Status.UNAVAILABLE;
                        case PAYLOAD_TOO_LARGE -> Status.RESOURCE_EXHAUSTED;
                        case FORBIDDEN -> Status.PERMISSION_DENIED;
                        default -> api.status().is4xxClientError() ? Status.INVALID_ARGUMENT : Status.INTERNAL;
                    };
            return status.withDescription(e.getMessage());
        }
        log.error("gRPC request failed", e);
        return Status.INTERNAL.withDescription("internal error; the server log has the details");
    }

    /** The request outcome {@code lctserve.requests} records, as for HTTP statuses. */
    static String outcome(Status status) {
        return switch (status.getCode()) {
            case OK -> "success";
            case UNAVAILABLE, RESOURCE_EXHAUSTED -> "busy";
            case INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED -> "error";
            default -> "invalid";
        };
    }
}
