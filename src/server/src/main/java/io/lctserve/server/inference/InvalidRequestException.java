package io.lctserve.server.inference;

/** A request the server understood but cannot serve as asked; the message names the problem. */
public class InvalidRequestException extends InferenceException {

    public InvalidRequestException(String message) {
        super(Kind.INVALID, message);
    }
}
