package io.lctserve.server.http.edge;

import io.lctserve.server.config.LctServeProperties;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Request threads are not held by slow clients. An inference body that has not fully arrived with
 * its headers is read without a thread (Servlet non-blocking I/O: the connector wakes this filter
 * as bytes come in), within {@code lctserve.body-read-timeout}; only a complete body is handed to
 * the controllers, on a container thread. A body that arrived whole with its headers, as normal
 * clients send batch-1 requests, is taken from the connector's buffer and goes straight through on
 * the same thread (measured: before this, every body took the asynchronous path, a dispatch to
 * another thread per request). Multipart uploads (the people's endpoint) are read as before.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 3)
public class BodyReadingFilter extends OncePerRequestFilter {

    static final String BODY = BodyReadingFilter.class.getName() + ".body";

    private final long timeoutMillis;

    public BodyReadingFilter(LctServeProperties properties) {
        this.timeoutMillis = properties.bodyReadTimeout().toMillis();
    }

    /**
     * The body this filter read for {@code request}, whole (it arrived with its headers, or later
     * without a thread); null when the request's body was not read here (no body, an upload).
     */
    public static byte[] bodyRead(HttpServletRequest request) {
        return request.getAttribute(BODY) instanceof byte[] bytes ? bytes : null;
    }

    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false; // the dispatch after the body was read is where the body is handed on
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String type = request.getContentType();
        return !"POST".equals(request.getMethod()) || (type != null && type.startsWith("multipart/"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getDispatcherType() == DispatcherType.ASYNC) {
            Object body = request.getAttribute(BODY);
            chain.doFilter(body instanceof byte[] bytes ? new ReadBody(request, bytes) : request, response);
            return;
        }
        long length = request.getContentLengthLong();
        if ((length <= 0 && !BodyProblem.isChunked(request)) || !request.isAsyncSupported()) {
            chain.doFilter(request, response); // nothing to wait for
            return;
        }
        ServletInputStream in = request.getInputStream();
        ByteArrayOutputStream body = new ByteArrayOutputStream(length > 0 ? (int) length : 8192);
        if (length > 0) {
            // What came with the headers sits in the connector's buffer: take it now. A read only
            // while the stream says bytes are buffered never waits on the socket.
            byte[] buffer = new byte[(int) Math.min(length, 65536)];
            while (body.size() < length && in.available() > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - body.size()));
                if (n < 0) {
                    break;
                }
                body.write(buffer, 0, n);
            }
            if (body.size() == length) {
                byte[] whole = body.toByteArray();
                request.setAttribute(BODY, whole);
                chain.doFilter(new ReadBody(request, whole), response); // arrived whole
                return;
            }
        }
        readWithoutAThread(request, response, in, body, length);
    }

    /** The rest of the body, read as it arrives without holding a thread, then handed on by a dispatch. */
    private void readWithoutAThread(
            HttpServletRequest request,
            HttpServletResponse response,
            ServletInputStream in,
            ByteArrayOutputStream body,
            long length)
            throws IOException {
        AsyncContext async = request.startAsync();
        async.setTimeout(timeoutMillis);
        AtomicBoolean answered = new AtomicBoolean();
        async.addListener(new AsyncListener() {
            @Override
            public void onTimeout(AsyncEvent event) throws IOException {
                if (answered.compareAndSet(false, true)) {
                    ApiException stalled = BodyProblem.stalled(request, body.size(), timeoutMillis);
                    refuse(response, stalled.status().value(), stalled.getMessage());
                    async.complete();
                }
            }

            @Override
            public void onComplete(AsyncEvent event) {}

            @Override
            public void onError(AsyncEvent event) {}

            @Override
            public void onStartAsync(AsyncEvent event) {}
        });
        in.setReadListener(new ReadListener() {
            private final byte[] buffer = new byte[8192];

            @Override
            public void onDataAvailable() throws IOException {
                try {
                    while (in.isReady() && !in.isFinished()) {
                        int n = in.read(buffer);
                        if (n < 0) {
                            return;
                        }
                        body.write(buffer, 0, n);
                    }
                } catch (ApiException e) { // a body of unknown length ran over the size limit
                    if (answered.compareAndSet(false, true)) {
                        refuse(response, e.status().value(), e.getMessage());
                        async.complete();
                    }
                }
            }

            @Override
            public void onAllDataRead() {
                if (answered.compareAndSet(false, true)) {
                    request.setAttribute(BODY, body.toByteArray());
                    async.dispatch();
                }
            }

            @Override
            public void onError(Throwable t) {
                if (BodyProblem.framing(t) != null) {
                    answered.set(true); // Tomcat's error path answers it, through ErrorEndpoint
                    return;
                }
                if (answered.compareAndSet(false, true)) {
                    try {
                        if (t instanceof ApiException api) {
                            refuse(response, api.status().value(), api.getMessage());
                        } else {
                            refuse(
                                    response,
                                    HttpServletResponse.SC_BAD_REQUEST,
                                    length > 0
                                            ? "the request body ended after " + body.size() + " of its " + length
                                                    + " bytes (Content-Length)"
                                            : "the chunked request body ended after " + body.size()
                                                    + " bytes without its final zero-size chunk");
                        }
                    } catch (IOException | IllegalStateException e) {
                        // the client is gone
                    }
                    async.complete();
                }
            }
        });
    }

    private static void refuse(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        response.setHeader("Connection", "close");
        response.setContentType("application/json");
        response.getWriter().write("{\"error\":\"" + message + "\"}");
    }

    /** The request with its body already read. */
    private static final class ReadBody extends HttpServletRequestWrapper {
        private final byte[] body;

        ReadBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream bytes = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return bytes.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return bytes.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return bytes.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("the body has been read already");
                }
            };
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }

        @Override
        public int getContentLength() {
            return body.length;
        }
    }
}
