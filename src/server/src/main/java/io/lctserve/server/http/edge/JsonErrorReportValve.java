package io.lctserve.server.http.edge;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
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
        try {
            response.setContentType("application/json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write("{\"error\":\"" + message(status) + "\"}");
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response cannot be written: nothing more to say
        }
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
