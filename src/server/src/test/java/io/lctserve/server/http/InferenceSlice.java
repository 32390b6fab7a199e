package io.lctserve.server.http;

import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.inference.Admission;
import io.lctserve.server.inference.BatchingEngine;
import io.lctserve.server.inference.ExitWatch;
import io.lctserve.server.inference.InferenceGate;
import io.lctserve.server.inference.InferenceService;
import io.lctserve.server.inference.KnobResolver;
import io.lctserve.server.inference.ModelLookup;
import io.lctserve.server.inference.Recalibration;
import io.lctserve.server.inference.ShadowVerification;
import io.lctserve.server.lifecycle.ServerReadiness;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.ModelRegistry;
import io.lctserve.server.protocol.ServerIdentity;
import io.lctserve.server.protocol.Statistics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.availability.ApplicationAvailabilityBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

/**
 * The controllers over MockMvc with the real inference path underneath (the shipped model, its
 * ONNX Runtime sessions, the resolver, the gate, the metrics), a 200 kB body limit and batches of
 * at most 16.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@WebMvcTest
@Import({
    ModelRegistry.class,
    ModelLookup.class,
    InferenceService.class,
    Admission.class,
    KnobResolver.class,
    InferenceGate.class,
    BatchingEngine.class,
    ShadowVerification.class,
    ExitWatch.class,
    Recalibration.class,
    InferenceMetrics.class,
    ApplicationAvailabilityBean.class,
    ServerReadiness.class,
    ServerIdentity.class,
    Statistics.class,
    InferenceSlice.Meters.class
})
@EnableConfigurationProperties(LctServeProperties.class)
@TestPropertySource(properties = {"lctserve.max-request-bytes=200000", "lctserve.max-batch=16"})
@interface InferenceSlice {

    /** Meters recorded in memory. */
    class Meters {
        @Bean
        SimpleMeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }
}
