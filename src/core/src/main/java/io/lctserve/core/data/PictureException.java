package io.lctserve.core.data;

import java.io.IOException;

/** A picture that cannot become a model input; the message says why (and names the file when there is one). */
public class PictureException extends IOException {

    /** What is wrong with it. */
    public enum Reason {
        /** Not a PNG or JPEG at all. */
        NOT_AN_IMAGE,
        /** A PNG or JPEG that ends early or does not decode. */
        DAMAGED,
        /** Declares more pixels than the caller allows. */
        TOO_LARGE
    }

    private final Reason reason;

    public PictureException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
