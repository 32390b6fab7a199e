package io.lctserve.server.http.edge;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/**
 * The servlet container's error path ({@code /error}), in the API's shape: an error the container
 * forwards here is answered {@code {"error": ...}} with its status; asked for directly, /error is an
 * endpoint like no other (404), not the framework's "status 999".
 */
@RestController
class ErrorEndpoint implements ErrorController {

    private final JsonMapper json;

    ErrorEndpoint(JsonMapper json) {
        this.json = json;
    }

    /**
     * Sent with its length: after a broken body read Tomcat closes the connection once this returns,
     * and a chunked answer would lose its last chunk (clients report the answer as cut short).
     */
    @RequestMapping("${server.error.path:/error}")
    ResponseEntity<byte[]> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        if (!(code instanceof Integer status)) {
            return answer(HttpStatus.NOT_FOUND, "no endpoint " + request.getMethod() + " " + request.getRequestURI());
        }
        ApiException body = BodyProblem.recorded(request);
        if (body != null) {
            return answer(body.status(), body.getMessage());
        }
        HttpStatus resolved = HttpStatus.resolve(status);
        return answer(
                resolved == null ? HttpStatus.INTERNAL_SERVER_ERROR : resolved, JsonErrorReportValve.message(status));
    }

    private ResponseEntity<byte[]> answer(HttpStatus status, String message) {
        byte[] bytes = json.writeValueAsBytes(Map.of("error", message));
        return ResponseEntity.status(status)
                .contentType(MediaType.APPLICATION_JSON)
                .contentLength(bytes.length)
                .body(bytes);
    }
}
