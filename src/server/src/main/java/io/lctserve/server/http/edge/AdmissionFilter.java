package io.lctserve.server.http.edge;

import io.lctserve.server.inference.Admission;
import io.lctserve.server.inference.InferenceException;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The HTTP edge of admission: an inference call that {@link Admission} would refuse now is refused
 * with 503 and {@code Retry-After} before its body is read, so that shedding load costs almost
 * nothing. It also notes when the call arrived ({@link #ARRIVED}): a deadline counts from there. The
 * call is counted in flight by the inference service itself, once, whatever its transport.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
public class AdmissionFilter extends OncePerRequestFilter {

    /** Request attribute: {@link System#nanoTime()} when an inference call arrived, before its body was read. */
    public static final String ARRIVED = "lctserve.arrived";

    private final ModelRegistry registry;
    private final Admission admission;
    private final InferenceMetrics metrics;

    public AdmissionFilter(ModelRegistry registry, Admission admission, InferenceMetrics metrics) {
        this.registry = registry;
        this.admission = admission;
        this.metrics = metrics;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        InferenceRoutes.Target target = InferenceRoutes.match(request.getRequestURI());
        if (target == null) {
            chain.doFilter(request, response);
            return;
        }
        request.setAttribute(ARRIVED, System.nanoTime());
        LoadedModel model = registry.find(target.name(), target.version()).orElse(null);
        InferenceException refusal = admission.refusal(model);
        if (refusal != null) {
            if (model != null) {
                metrics.model(model).recordRefused();
            }
            response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            response.setHeader("Retry-After", "1");
            response.setContentType("application/json");
            response.getWriter().write("{\"error\":\"" + refusal.getMessage() + "\"}");
            response.flushBuffer(); // answered now, whatever becomes of the unread body
            return;
        }
        chain.doFilter(request, response);
    }
}
