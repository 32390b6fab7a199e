package io.lctserve.server.http.edge;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The servlet container's error path ({@code /error}), in the API's shape: an error the container
 * forwards here is answered {@code {"error": ...}} with its status; asked for directly, /error is an
 * endpoint like no other (404), not the framework's "status 999".
 */
@RestController
class ErrorEndpoint implements ErrorController {

    @RequestMapping("${server.error.path:/error}")
    ResponseEntity<Map<String, String>> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        if (!(code instanceof Integer status)) {
            return ApiExceptionHandler.error(
                    HttpStatus.NOT_FOUND, "no endpoint " + request.getMethod() + " " + request.getRequestURI());
        }
        HttpStatus resolved = HttpStatus.resolve(status);
        return ApiExceptionHandler.error(
                resolved == null ? HttpStatus.INTERNAL_SERVER_ERROR : resolved, JsonErrorReportValve.message(status));
    }
}
