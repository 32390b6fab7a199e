package io.lctserve.server.inference;

/** The server cannot take the request in time (queues, compute slots, unloading): the client should retry. */
public class ServerBusyException extends InferenceException {

    private final String outcome;

    public ServerBusyException(String message) {
        this(message, "busy");
    }

    private ServerBusyException(String message, String outcome) {
        super(Kind.UNAVAILABLE, message);
        this.outcome = outcome;
    }

    /**
     * A request refused because its deadline could not be met (recorded as outcome {@code deadline}):
     * answered at once instead of late.
     */
    public static ServerBusyException deadline(String message) {
        return new ServerBusyException(message, "deadline");
    }

    @Override
    public String outcome() {
        return outcome;
    }
}
