package io.lctserve.server.inference;

/** The server cannot take the request in time (queues, compute slots, unloading): the client should retry. */
public class ServerBusyException extends InferenceException {

    public ServerBusyException(String message) {
        super(Kind.UNAVAILABLE, message);
    }
}
