package io.lctserve.server.api;

import io.lctserve.server.metrics.InferenceMetrics;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Records every inference request once, whatever became of it: {@code lctserve.requests} by model,
 * mode and outcome (success, invalid, busy or error, from the status it was answered with), timed
 * from its arrival to its answer. Requests for a model the server does not serve are not recorded.
 */
@Component
public class RequestMetrics implements HandlerInterceptor, WebMvcConfigurer {

    private final InferenceMetrics metrics;

    public RequestMetrics(InferenceMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this)
                .addPathPatterns(
                        "/v2/models/*/infer",
                        "/v2/models/*/versions/*/infer",
                        "/v1/models/*/classify",
                        "/v1/models/*/versions/*/classify");
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        request.setAttribute(RequestRecord.ATTRIBUTE, new RequestRecord(System.nanoTime()));
        return true;
    }

    @Override
    public void afterCompletion(
            HttpServletRequest request, HttpServletResponse response, Object handler, Exception failure) {
        if (request.getAttribute(RequestRecord.ATTRIBUTE) instanceof RequestRecord record && record.model() != null) {
            metrics.model(record.model())
                    .recordRequest(
                            record.mode(),
                            outcome(failure == null ? response.getStatus() : 500),
                            System.nanoTime() - record.receivedNanos());
        }
    }

    static String outcome(int status) {
        if (status < 400) {
            return "success";
        }
        if (status == HttpServletResponse.SC_SERVICE_UNAVAILABLE) {
            return "busy";
        }
        return status < 500 ? "invalid" : "error";
    }
}
