package io.lctserve.server.http.edge;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.http.HttpServletRequest;
import java.net.SocketTimeoutException;
import java.util.Locale;
import org.apache.coyote.BadRequestException;
import org.springframework.http.HttpStatus;

/**
 * Why a request body could not be read, in HTTP's terms: its chunked framing is broken (a chunk
 * size that is not hex or overflows, a chunk longer or shorter than announced, a broken trailer),
 * or it stopped arriving. Tomcat reports a broken frame as a {@link BadRequestException} from the
 * body's read and its own error path makes that a 500; here it is a 400 that says what broke. A
 * chunked body still open at the body-read timeout is a 400 too (nothing tells a chunk shorter than
 * announced, or a missing last chunk, from a client that stalled); a Content-Length body is a 408.
 */
final class BodyProblem {

    /** Request attribute: the problem, kept for the error dispatch that Tomcat makes after a failed read. */
    private static final String ATTRIBUTE = BodyProblem.class.getName();

    private BodyProblem() {}

    /** The broken framing behind {@code failure}, or null if it is not that. */
    static ApiException framing(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BadRequestException bad) {
                return ApiException.badRequest("malformed chunked request body: " + explain(bad.getMessage()));
            }
        }
        return null;
    }

    /** A body that did not arrive within the timeout; {@code received} bytes of it, or -1 if not known. */
    static ApiException stalled(HttpServletRequest request, long received, long timeoutMillis) {
        long length = request.getContentLengthLong();
        String within = " within " + timeoutMillis + " ms (lctserve.body-read-timeout)";
        if (!isChunked(request)) {
            return new ApiException(
                    HttpStatus.REQUEST_TIMEOUT,
                    "the request body did not arrive" + within
                            + (received < 0
                                    ? ""
                                    : ": " + received + " of its " + length + " bytes (Content-Length) came"));
        }
        return ApiException.badRequest("the chunked request body was not completed" + within + ": "
                + (received < 0 ? "" : received + " bytes came, and then ")
                + "no final zero-size chunk; a chunk is shorter than its announced size, or the last chunk is missing");
    }

    /**
     * What a failed read of the body of an upload (read by the framework, on a request thread) was,
     * or null if {@code failure} is not a failed read. Kept on the request for {@link #recorded}.
     */
    static ApiException ofUpload(Throwable failure, HttpServletRequest request, long timeoutMillis) {
        // The read's own failure is on the request: the upload parser may have reported another one.
        Object read = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        ApiException problem = null;
        for (Throwable cause : new Throwable[] {read instanceof Throwable t ? t : null, failure}) {
            for (Throwable t = cause; problem == null && t != null; t = t.getCause()) {
                if (t instanceof SocketTimeoutException) {
                    problem = stalled(request, -1, timeoutMillis);
                }
            }
            problem = problem != null ? problem : framing(cause);
        }
        if (problem != null) {
            request.setAttribute(ATTRIBUTE, problem);
        }
        return problem;
    }

    /** The body problem behind an error dispatch, or null. */
    static ApiException recorded(ServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof ApiException kept
                ? kept
                : request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) instanceof Throwable failure
                        ? framing(failure)
                        : null;
    }

    static boolean isChunked(HttpServletRequest request) {
        String transfer = request.getHeader("Transfer-Encoding");
        return transfer != null && transfer.toLowerCase(Locale.ROOT).contains("chunked");
    }

    private static String explain(String tomcat) {
        String said = tomcat == null ? "" : tomcat;
        if (said.startsWith("Invalid chunk header")) {
            return "a chunk size is not a hexadecimal number of at most 8 digits";
        }
        if (said.startsWith("Invalid end of line sequence")) {
            return "a chunk does not end with CRLF where its announced size says it ends"
                    + " (its data is longer or shorter than announced)";
        }
        if (said.contains("trailer")) {
            return "its trailer fields are malformed";
        }
        if (said.contains("maxTrailerSize") || said.contains("maxExtensionSize")) {
            return "its trailer fields or chunk extensions are too large";
        }
        return "the chunked transfer coding cannot be parsed";
    }
}
