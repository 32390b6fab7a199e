package io.lctserve.server.api;

import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Admission before work: an inference request that would not be served in time is refused with 503
 * and {@code Retry-After} before its body is read (or, for a body that arrived late, before it is
 * parsed), so that shedding load costs almost nothing. Refused
 * when the server already has {@code lctserve.max-in-flight} inference requests on its request
 * threads (more would only wait, holding threads, until the pool is exhausted and requests queue
 * where nothing sees them), or when the model's batching queues hold more work than the queue
 * timeout (at measured stage latencies).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
public class AdmissionFilter extends OncePerRequestFilter {

    private static final Pattern INFERENCE = Pattern.compile(
            "^/(?:v2/models/([^/]+)(?:/versions/([^/]+))?/infer|v1/models/([^/]+)(?:/versions/([^/]+))?/classify)$");

    private final ModelRegistry registry;
    private final BatchingEngine batching;
    private final InferenceMetrics metrics;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    public AdmissionFilter(
            ModelRegistry registry,
            BatchingEngine batching,
            InferenceMetrics metrics,
            LctServeProperties properties,
            @Value("${server.tomcat.threads.max:200}") int requestThreads) {
        this.registry = registry;
        this.batching = batching;
        this.metrics = metrics;
        this.maxInFlight = properties.maxInFlight(requestThreads);
    }

    /**
     * Also on the dispatch that follows a body read without a thread ({@link BodyReadingFilter}): a
     * request counts as in flight only while it holds a request thread, so slow uploads do not.
     */
    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Matcher m = INFERENCE.matcher(request.getRequestURI());
        if (!m.matches()) {
            chain.doFilter(request, response);
            return;
        }
        LoadedModel model = registry.find(
                        m.group(1) != null ? m.group(1) : m.group(3), m.group(1) != null ? m.group(2) : m.group(4))
                .orElse(null);
        String refusal = refusal(model);
        if (refusal != null) {
            if (model != null) {
                metrics.model(model).recordRefused();
            }
            response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            response.setHeader("Retry-After", "1");
            response.setContentType("application/json");
            response.getWriter().write("{\"error\":\"" + refusal + "; retry later\"}");
            response.flushBuffer(); // answered now, whatever becomes of the unread body
            return;
        }
        inFlight.incrementAndGet();
        try {
            chain.doFilter(request, response);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private String refusal(LoadedModel model) {
        if (inFlight.get() >= maxInFlight) {
            return "the server is busy: " + maxInFlight + " inference requests in flight (lctserve.max-in-flight)";
        }
        return batching.queueRefusal(model);
    }

    /** Inference requests on request threads now. */
    public int inFlight() {
        return inFlight.get();
    }
}
