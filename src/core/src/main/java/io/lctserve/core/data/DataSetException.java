package io.lctserve.core.data;

import java.io.IOException;

/** A data set that cannot be read as it is; the message names the file or folder and the problem. */
public class DataSetException extends IOException {

    public DataSetException(String message) {
        super(message);
    }
}
