package io.lctserve.server.http.edge;

import io.lctserve.server.config.LctServeProperties;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.util.WebUtils;

/**
 * An upload is served only once its body has ended as its framing says. The upload parser stops at
 * the multipart closing boundary; what follows it (the epilogue and, for a chunked body, the final
 * zero-size chunk) is read here before the controller runs, so that a chunked upload without its
 * last chunk, or broken after its last part, is refused ({@link BodyProblem}) rather than answered.
 * A complete body costs one read of a few buffered bytes.
 */
@Configuration(proxyBeanMethods = false)
class UploadEndCheck implements WebMvcConfigurer, HandlerInterceptor {

    private final long timeoutMillis;

    UploadEndCheck(LctServeProperties properties) {
        this.timeoutMillis = properties.bodyReadTimeout().toMillis();
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this);
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (request.getDispatcherType() != DispatcherType.REQUEST
                || WebUtils.getNativeRequest(request, MultipartHttpServletRequest.class) == null) {
            return true;
        }
        try {
            request.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return true;
        } catch (IOException e) {
            ApiException problem = BodyProblem.ofUpload(e, request, timeoutMillis);
            throw problem != null ? problem : ApiException.badRequest("the request body could not be read to its end");
        }
    }
}
