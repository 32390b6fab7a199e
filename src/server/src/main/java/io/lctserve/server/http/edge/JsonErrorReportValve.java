package io.lctserve.server.http.edge;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat's error page in the API's shape: for what Tomcat refuses before the application sees it
 * (a malformed URL or header, an unknown method or protocol), {@code {"error": ...}} as JSON instead
 * of Tomcat's HTML page, with a fixed message per status, never a class name or stack trace.
 */
public class JsonErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable failure) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        String coding = request.getHeader("Transfer-Encoding");
        if (status == 501 && coding != null) {
            // Tomcat's answer to a transfer coding it does not implement. Where chunked is not the last
            // coding RFC 9112 (6.1) asks for 400; where it is, 501 is only its suggestion: the client's
            // choice of coding is its mistake here, never a server error an operator is paged for.
            status = 400;
            response.setStatus(status);
        }
        try {
            response.setContentType("application/json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(
                        "{\"error\":\"" + (status == 400 ? badRequest(request, failure) : message(status)) + "\"}");
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response cannot be written: nothing more to say
        }
    }

    /**
     * A body whose chunked framing broke while a controller read it (an upload), or a Content-Length
     * Tomcat refused before any filter ran: say which.
     */
    private static String badRequest(Request request, Throwable failure) {
        ApiException framing = BodyProblem.framing(failure);
        if (framing != null) {
            return framing.getMessage();
        }
        String coding = String.join(", ", Collections.list(request.getHeaders("Transfer-Encoding")));
        if (!coding.isEmpty() && !coding.trim().equalsIgnoreCase("chunked")) {
            return "malformed request framing: Transfer-Encoding '" + coding.replaceAll("[^ -~]|[\"\\\\]", "?")
                    + "' is not supported; send the body with Content-Length or Transfer-Encoding: chunked";
        }
        var lengths = request.getHeaders("Content-Length");
        int count = 0;
        boolean number = true;
        while (lengths != null && lengths.hasMoreElements()) {
            count++;
            number &= lengths.nextElement().trim().matches("[0-9]{1,18}");
        }
        if (count > 1) {
            return "malformed request framing: Content-Length is given " + count + " times";
        }
        if (count == 1 && !number) {
            return "malformed request framing: Content-Length must be a non-negative decimal number of bytes";
        }
        return message(400);
    }

    static String message(int status) {
        return switch (status) {
            case 400 -> "malformed request: the request line, URL or headers cannot be parsed";
            case 404 -> "no such endpoint";
            case 405 -> "method not allowed";
            case 408 -> "the request was not received in time";
            case 413 -> "request too large";
            case 414 -> "the URL is too long";
            case 431 -> "the request headers are too large";
            case 501 -> "method not implemented";
            case 505 -> "HTTP version not supported; use HTTP/1.1";
            case 503 -> "service unavailable; retry later";
            default -> status < 500 ? "the request cannot be served (HTTP " + status + ")" : "internal error";
        };
    }
}
