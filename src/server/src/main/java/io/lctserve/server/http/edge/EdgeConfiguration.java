package io.lctserve.server.http.edge;

import io.lctserve.server.config.LctServeProperties;
import org.apache.catalina.core.StandardHost;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.core.StreamReadFeature;

/**
 * What the HTTP edge does before a controller runs: JSON with a key given twice is refused (not
 * last-one-wins), Tomcat's own error page is {@link JsonErrorReportValve}, and Tomcat reads a
 * connection in chunks of {@code lctserve.socket-read-buffer}, so that a request of that size comes
 * in with one read and {@link BodyReadingFilter} finds its body whole.
 */
@Configuration(proxyBeanMethods = false)
class EdgeConfiguration {

    @Bean
    JsonMapperBuilderCustomizer duplicateKeysAreRefused() {
        return builder -> builder.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }

    /**
     * Tomcat's default is 8 KiB: a batch-1 request with FP32 JSON data (8-16 KiB as Triton's and
     * KServe's clients write it) came in two reads, so its body took the asynchronous path and a
     * dispatch to another thread (measured: 2 requests in 3).
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> socketReadBuffer(LctServeProperties properties) {
        return factory -> factory.addConnectorCustomizers(connector -> connector.setProperty(
                "socket.appReadBufSize",
                Long.toString(properties.socketReadBuffer().toBytes())));
    }

    /**
     * Uploads (multipart) are read by the framework on a request thread, not by {@link
     * BodyReadingFilter}: a socket read there waits at most {@code lctserve.body-read-timeout} for
     * the next bytes (Tomcat's default is its 60 s connection timeout), then {@link BodyProblem}.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> uploadReadTimeout(LctServeProperties properties) {
        return factory -> factory.addConnectorCustomizers(connector -> {
            connector.setProperty("disableUploadTimeout", "false");
            connector.setProperty(
                    "connectionUploadTimeout",
                    Long.toString(properties.bodyReadTimeout().toMillis()));
        });
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> jsonErrorPages() {
        return factory -> factory.addContextCustomizers(context -> {
            if (context.getParent() instanceof StandardHost host) {
                host.setErrorReportValveClass(JsonErrorReportValve.class.getName());
            }
        });
    }
}
