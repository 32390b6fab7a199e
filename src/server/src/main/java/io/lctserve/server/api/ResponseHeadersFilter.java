package io.lctserve.server.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Security headers on every response, {@code Connection: close} while the server drains for
 * shutdown, and request bodies in an encoding the server does not decode refused up front (415)
 * instead of read as garbage.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ResponseHeadersFilter extends OncePerRequestFilter {

    private final ApplicationAvailability availability;

    public ResponseHeadersFilter(ApplicationAvailability availability) {
        this.availability = availability;
    }

    /** The page loads only its own files; answers are never to be sniffed into another type or framed. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data: blob:;"
            + " style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        if (availability.getReadinessState() == ReadinessState.REFUSING_TRAFFIC) { // draining for shutdown
            response.setHeader("Connection", "close");
        }
        String encoding = request.getHeader("Content-Encoding");
        if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
            response.setStatus(HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE);
            response.setContentType("application/json");
            response.getWriter()
                    .write("{\"error\":\"Content-Encoding '" + encoding.replaceAll("[^A-Za-z0-9, -]", "?")
                            + "' is not supported; send the body uncompressed\"}");
            return;
        }
        chain.doFilter(request, response);
    }
}
