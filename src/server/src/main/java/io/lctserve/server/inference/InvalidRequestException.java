package io.lctserve.server.inference;

/** A request the server understood but cannot serve as asked; the message names the problem (400). */
public class InvalidRequestException extends RuntimeException {

    public InvalidRequestException(String message) {
        super(message);
    }
}
