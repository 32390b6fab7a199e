package io.lctserve.server.http.v2;

import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.http.edge.AdmissionFilter;
import io.lctserve.server.http.edge.ApiException;
import io.lctserve.server.http.edge.ApiExceptionHandler;
import io.lctserve.server.http.edge.BodyReadingFilter;
import io.lctserve.server.http.edge.InferenceRoutes;
import io.lctserve.server.inference.InferenceException;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.protocol.InferRequest;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.PathContainer;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.filter.ServerHttpObservationFilter;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The unary infer call with a JSON body, the one Triton's and KServe's clients send, answered
 * without Spring MVC's dispatch (handler lookup, argument resolvers, message converters, content
 * negotiation): the body {@link BodyReadingFilter} read is parsed here with the server's JSON
 * mapper, the call goes the controller's way ({@link UnaryInfer}), and its answer or error is
 * written as {@link OpenInferenceController} and {@link ApiExceptionHandler} write them, under the
 * same metrics (the route's pattern is given to the HTTP observation). Anything else goes on to the
 * controllers: another content type or {@code Accept}, a body the edge did not read (none at all).
 * Measured in docs/BENCHMARKS.md ("Unary JSON infer off Spring MVC's dispatch").
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 4)
class JsonInferFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(JsonInferFilter.class);
    private static final List<PathPattern> ROUTES = List.of(
            PathPatternParser.defaultInstance.parse(InferenceRoutes.INFER),
            PathPatternParser.defaultInstance.parse(InferenceRoutes.INFER_VERSION));

    private final UnaryInfer unary;
    private final JsonMapper json;
    private final ApiExceptionHandler errors;

    JsonInferFilter(
            InferenceService inference, LctServeProperties properties, JsonMapper json, ApiExceptionHandler errors) {
        this.unary = new UnaryInfer(inference, properties.maxBatch(), json);
        this.json = json;
        this.errors = errors;
    }

    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false; // a body read without a thread comes back by an asynchronous dispatch
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod())
                || !isJson(request.getContentType())
                || !acceptsJson(request.getHeader("Accept"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        byte[] body = BodyReadingFilter.bodyRead(request);
        if (body != null) {
            PathContainer path = PathContainer.parsePath(request.getRequestURI());
            for (PathPattern route : ROUTES) {
                PathPattern.PathMatchInfo match = route.matchAndExtract(path);
                if (match != null) {
                    ServerHttpObservationFilter.findObservationContext(request)
                            .ifPresent(observed -> observed.setPathPattern(route.getPatternString()));
                    write(answer(match, body, (Long) request.getAttribute(AdmissionFilter.ARRIVED)), response);
                    return;
                }
            }
        }
        chain.doFilter(request, response);
    }

    /** The answer, or the error {@link ApiExceptionHandler} gives the same failure behind the controller. */
    private ResponseEntity<?> answer(PathPattern.PathMatchInfo route, byte[] body, Long arrived) {
        try {
            InferRequest request = body.length == 0 ? null : json.readValue(body, InferRequest.class);
            if (request == null) { // as Spring MVC reads a required body that is empty or JSON null
                return errors.api(ApiException.badRequest("the request body is missing"));
            }
            return unary.answer(
                    route.getUriVariables().get("name"),
                    route.getUriVariables().get("version"),
                    request,
                    null,
                    arrived);
        } catch (JacksonException e) {
            return errors.unreadable(e);
        } catch (ApiException e) {
            return errors.api(e);
        } catch (InferenceException e) {
            return errors.inference(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return errors.unexpected(e);
        } catch (RuntimeException e) {
            return errors.unexpected(e);
        }
    }

    private void write(ResponseEntity<?> answer, HttpServletResponse response) throws IOException {
        response.setStatus(answer.getStatusCode().value());
        answer.getHeaders().forEach((name, values) -> values.forEach(value -> response.addHeader(name, value)));
        Object body = answer.getBody();
        byte[] bytes = body instanceof byte[] raw ? raw : json.writeValueAsBytes(body);
        response.setContentLength(bytes.length);
        try {
            response.getOutputStream().write(bytes);
        } catch (IOException e) {
            log.debug("Client went away before its answer was written: {}", e.getMessage());
        }
    }

    /** {@code application/json}, in UTF-8 if a charset is named: what the controller's JSON mapping consumes. */
    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return MediaType.APPLICATION_JSON.equalsTypeAndSubtype(type)
                    && (type.getCharset() == null || type.getCharset().equals(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) { // InvalidMediaTypeException among them
            return false; // the controllers' content negotiation names the problem
        }
    }

    /** No {@code Accept}, or one that takes JSON: else the controllers' content negotiation answers. */
    private static boolean acceptsJson(String accept) {
        if (accept == null || accept.isBlank()) {
            return true;
        }
        try {
            return MediaType.parseMediaTypes(accept).stream()
                    .anyMatch(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON) && type.getQualityValue() > 0);
        } catch (IllegalArgumentException e) { // InvalidMediaTypeException among them
            return false;
        }
    }
}
