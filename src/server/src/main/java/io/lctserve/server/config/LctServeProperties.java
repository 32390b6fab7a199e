package io.lctserve.server.config;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Server settings under {@code lctserve.*}.
 *
 * @param modelRepository folder holding {@code <name>/<version>/} model folders
 * @param defaultPreset preset used by early exit when a request names neither threshold nor preset
 *     (falls back to {@code defaultThreshold} for a model without that preset)
 * @param defaultThreshold confidence every head must reach when no preset applies
 * @param intraOpThreads ONNX Runtime threads per graph run (1 suits many concurrent requests)
 * @param maxConcurrentInferences requests computing at once, the rest wait (the queue timer); 0 means
 *     twice the processors the JVM may use: with one ONNX Runtime thread per run, a request spends part
 *     of its time reading, writing and waiting on the network, and the cores stay busy only if more
 *     requests compute than there are cores
 * @param queueTimeout how long a request may wait for a compute slot before a 503
 * @param maxBatch largest batch one request may carry
 * @param maxRequestBytes largest request body; larger ones get 413
 * @param drain how long, at shutdown, readiness reports DOWN while requests are still served, so
 *     load balancers stop sending before the server stops accepting
 */
@Validated
@ConfigurationProperties("lctserve")
public record LctServeProperties(
        @NotNull @DefaultValue("models") Path modelRepository,
        @NotNull @DefaultValue("balanced") String defaultPreset,
        @DecimalMin("0.0") @DecimalMax("1.0") @DefaultValue("0.9") double defaultThreshold,
        @Min(1) @DefaultValue("1") int intraOpThreads,
        @Min(0) @DefaultValue("0") int maxConcurrentInferences,
        @NotNull @DefaultValue("30s") Duration queueTimeout,
        @Min(1) @DefaultValue("256") int maxBatch,
        @Min(1024) @DefaultValue("8388608") long maxRequestBytes,
        @NotNull @DefaultValue("0s") Duration drain) {

    /** How many requests may compute at once: {@code maxConcurrentInferences}, or its automatic value. */
    public int computeSlots() {
        return maxConcurrentInferences > 0
                ? maxConcurrentInferences
                : 2 * Runtime.getRuntime().availableProcessors();
    }
}
