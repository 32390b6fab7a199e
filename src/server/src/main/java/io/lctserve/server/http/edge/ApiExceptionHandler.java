package io.lctserve.server.http.edge;

import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.InferenceException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.async.AsyncRequestNotUsableException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;

/**
 * The one place where failures become HTTP answers: every error is {@code {"error": "..."}} with
 * a status that tells client mistakes (4xx) from server trouble (5xx). Nothing leaks a stack trace.
 */
@RestControllerAdvice
public class ApiExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private final long bodyReadTimeoutMillis;

    public ApiExceptionHandler(LctServeProperties properties) {
        this.bodyReadTimeoutMillis = properties.bodyReadTimeout().toMillis();
    }

    @ExceptionHandler(ApiException.class)
    public ResponseEntity<Map<String, String>> api(ApiException e) {
        return error(e.status(), e.getMessage());
    }

    /** An inference the service did not answer, by kind: the client's mistake, or a full server (retry later). */
    @ExceptionHandler(InferenceException.class)
    public ResponseEntity<Map<String, String>> inference(InferenceException e) {
        return switch (e.kind()) {
            case INVALID -> error(HttpStatus.BAD_REQUEST, e.getMessage());
            case TOO_LARGE -> error(HttpStatus.PAYLOAD_TOO_LARGE, e.getMessage());
            case NOT_FOUND -> error(HttpStatus.NOT_FOUND, e.getMessage());
            case UNAVAILABLE, EXHAUSTED ->
                ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                        .header("Retry-After", "1")
                        .contentType(MediaType.APPLICATION_JSON)
                        .body(Map.of("error", e.getMessage()));
            case INTERNAL -> error(HttpStatus.INTERNAL_SERVER_ERROR, e.getMessage());
        };
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<Map<String, String>> unreadable(HttpMessageNotReadableException e) {
        ResponseEntity<Map<String, String>> raised = raisedWhileReading(e);
        return raised != null ? raised : error(HttpStatus.BAD_REQUEST, unreadableMessage(e));
    }

    /** A JSON body Jackson could not read (not through Spring MVC's converters): what is wrong, in JSON's terms. */
    public ResponseEntity<Map<String, String>> unreadable(JacksonException e) {
        ResponseEntity<Map<String, String>> raised = raisedWhileReading(e);
        if (raised != null) {
            return raised;
        }
        String problem = JsonProblem.describe(e);
        return error(HttpStatus.BAD_REQUEST, problem == null ? "malformed JSON request body" : problem);
    }

    /** The answer to our own exception thrown while the body was read (a tensor's values checked as parsed), if any. */
    private ResponseEntity<Map<String, String>> raisedWhileReading(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ApiException api) {
                return api(api);
            }
            if (t instanceof InferenceException invalid) {
                return inference(invalid);
            }
        }
        return null;
    }

    /** What is wrong with a body that could not be read, in JSON's terms: never a Java type. */
    static String unreadableMessage(HttpMessageNotReadableException e) {
        Throwable cause = e.getMostSpecificCause();
        if (cause == e && e.getMessage() != null && e.getMessage().startsWith("Required request body is missing")) {
            return "the request body is missing";
        }
        String problem = cause instanceof JacksonException jackson ? JsonProblem.describe(jackson) : null;
        return problem == null ? "malformed JSON request body" : problem;
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<Map<String, String>> mediaType(HttpMediaTypeNotSupportedException e) {
        return error(
                HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                "content type " + e.getContentType() + " is not supported here; use one of "
                        + e.getSupportedMediaTypes());
    }

    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<Map<String, String>> notAcceptable(HttpMediaTypeNotAcceptableException e) {
        return error(HttpStatus.NOT_ACCEPTABLE, "responses are application/json");
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<Map<String, String>> method(HttpRequestMethodNotSupportedException e) {
        return error(
                HttpStatus.METHOD_NOT_ALLOWED,
                e.getMethod() + " is not allowed here; use " + e.getSupportedHttpMethods());
    }

    @ExceptionHandler(MaxUploadSizeExceededException.class)
    ResponseEntity<Map<String, String>> uploadTooLarge(MaxUploadSizeExceededException e) {
        return error(HttpStatus.PAYLOAD_TOO_LARGE, "upload too large: " + firstLine(e.getMessage()));
    }

    @ExceptionHandler({MissingServletRequestPartException.class, MissingServletRequestParameterException.class})
    ResponseEntity<Map<String, String>> missingPart(Exception e) {
        return error(HttpStatus.BAD_REQUEST, e.getMessage());
    }

    @ExceptionHandler(MultipartException.class)
    ResponseEntity<Map<String, String>> multipart(MultipartException e, HttpServletRequest request) {
        ApiException body = BodyProblem.ofUpload(e, request, bodyReadTimeoutMillis);
        if (body != null) {
            return api(body); // Tomcat answers a failed read with an error dispatch, which says this
        }
        return error(HttpStatus.BAD_REQUEST, "malformed multipart request: " + firstLine(e.getMessage()));
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<Map<String, String>> typeMismatch(MethodArgumentTypeMismatchException e) {
        return error(
                HttpStatus.BAD_REQUEST, "parameter '" + e.getName() + "' has an invalid value '" + e.getValue() + "'");
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<Map<String, String>> noResource(NoResourceFoundException e) {
        return error(HttpStatus.NOT_FOUND, "no endpoint " + e.getHttpMethod() + " /" + e.getResourcePath());
    }

    /**
     * The client went away while its answer was being written (a browser leaving the page mid-poll,
     * a load tool stopping): there is nobody to answer and nothing went wrong here.
     */
    @ExceptionHandler(AsyncRequestNotUsableException.class)
    void clientGone(AsyncRequestNotUsableException e) {
        log.debug("Client went away before its answer was written: {}", e.getMessage());
    }

    /** A query string or form that is not valid percent-encoded text: the client's mistake. */
    @ExceptionHandler(InvalidParameterException.class)
    ResponseEntity<Map<String, String>> badParameters(InvalidParameterException e) {
        return error(HttpStatus.BAD_REQUEST, "the query string cannot be decoded: use valid percent-encoded UTF-8");
    }

    /** The log has the details; the client gets no class names or stack traces. */
    @ExceptionHandler(Exception.class)
    public ResponseEntity<Map<String, String>> unexpected(Exception e) {
        log.error("Request failed", e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "internal error; the server log has the details");
    }

    static ResponseEntity<Map<String, String>> error(HttpStatus status, String message) {
        return ResponseEntity.status(status)
                .contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("error", message));
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
