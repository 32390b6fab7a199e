package io.lctserve.server.http.edge;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Security headers on every response, {@code Connection: close} while the server drains for
 * shutdown, gzip and deflate request bodies decompressed, and bodies in any other encoding refused
 * up front (415) instead of read as garbage.
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
        String coding = encoding == null ? "" : encoding.trim().toLowerCase(Locale.ROOT);
        if (coding.isEmpty() || coding.equals("identity")) {
            chain.doFilter(request, response);
        } else if (coding.equals("gzip") || coding.equals("x-gzip") || coding.equals("deflate")) {
            chain.doFilter(new Decompressed(request, coding), response);
        } else {
            response.setStatus(HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE);
            response.setContentType("application/json");
            response.getWriter()
                    .write("{\"error\":\"Content-Encoding '" + encoding.replaceAll("[^A-Za-z0-9, -]", "?")
                            + "' is not supported; send the body uncompressed, gzip or deflate\"}");
        }
    }

    /**
     * A gzip or deflate body (Triton's client offers both), decompressed as it is read. Its length
     * is unknown until then, so {@code lctserve.max-request-bytes} counts the decompressed bytes
     * (RequestSizeLimitFilter): a small compressed body cannot expand past the limit.
     */
    private static final class Decompressed extends HttpServletRequestWrapper {
        private final String coding;
        private ServletInputStream stream;

        Decompressed(HttpServletRequest request, String coding) {
            super(request);
            this.coding = coding;
        }

        @Override
        public long getContentLengthLong() {
            return -1;
        }

        @Override
        public int getContentLength() {
            return -1;
        }

        @Override
        public String getHeader(String name) {
            // the body this request has is the decompressed one: no declared length, encoding or chunking
            return name.equalsIgnoreCase("Content-Length")
                            || name.equalsIgnoreCase("Content-Encoding")
                            || name.equalsIgnoreCase("Transfer-Encoding")
                    ? null
                    : super.getHeader(name);
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                InputStream raw = super.getInputStream();
                InputStream in;
                try {
                    in = coding.equals("deflate") ? new InflaterInputStream(raw) : new GZIPInputStream(raw);
                } catch (ZipException e) {
                    throw ApiException.badRequest("the body is not valid " + coding + " data");
                }
                stream = new ServletInputStream() {
                    @Override
                    public int read() throws IOException {
                        try {
                            return in.read();
                        } catch (ZipException e) {
                            throw ApiException.badRequest("the body is not valid " + coding + " data");
                        }
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        try {
                            return in.read(b, off, len);
                        } catch (ZipException e) {
                            throw ApiException.badRequest("the body is not valid " + coding + " data");
                        }
                    }

                    @Override
                    public boolean isFinished() {
                        return false;
                    }

                    @Override
                    public boolean isReady() {
                        return true;
                    }

                    @Override
                    public void setReadListener(ReadListener listener) {
                        throw new IllegalStateException("a compressed body is read blocking");
                    }
                };
            }
            return stream;
        }
    }
}
