package io.lctserve.core.data;

import java.io.IOException;
import java.nio.file.Path;

/** An IDX file that is not what its name promises; the message names the file and the problem. */
public class IdxFormatException extends IOException {

    public IdxFormatException(Path file, String problem) {
        super("malformed IDX file " + file + ": " + problem);
    }
}
