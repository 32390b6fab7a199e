package io.lctserve.server.inference;

/** Every compute slot stayed busy for the whole queue timeout: the client should retry (503). */
public class ServerBusyException extends RuntimeException {

    public ServerBusyException(String message) {
        super(message);
    }
}
