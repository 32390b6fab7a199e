package io.lctserve.server.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Server settings under {@code lctserve.*}.
 *
 * @param modelRepository folder holding {@code <name>/<version>/} model folders, or one model as
 *     KServe's storage initializer leaves it ({@code <version>/} folders, or one version's files)
 * @param modelName the name the model of a one-model folder is served under (KServe passes the
 *     InferenceService's name); empty: its manifest's name. A repository's names are its folders'
 * @param defaultPreset preset used by early exit when a request names neither threshold nor preset
 *     (falls back to {@code defaultThreshold} for a model without that preset)
 * @param defaultThreshold confidence every head must reach when no preset applies
 * @param intraOpThreads ONNX Runtime threads per graph run (1 suits many concurrent requests)
 * @param maxConcurrentInferences requests computing at once, the rest wait (the queue timer); 0 means
 *     twice the processors the JVM may use: with one ONNX Runtime thread per run, a request spends part
 *     of its time reading, writing and waiting on the network, and the cores stay busy only if more
 *     requests compute than there are cores
 * @param queueTimeout how long a request may wait for a compute slot before a 503
 * @param maxInFlight inference requests the server works on at once; more are refused with 503
 *     before their body is read. 0: three quarters of Tomcat's request threads
 *     ({@code server.tomcat.threads.max}), so that health checks and metrics always find a thread
 * @param maxBatch largest batch one request may carry
 * @param maxRequestBytes largest request body; larger ones get 413
 * @param socketReadBuffer how much of a connection Tomcat reads at once (per connection); a request
 *     that fits comes in whole with one read, a larger body is read without a thread as it arrives
 * @param bodyReadTimeout how long a request body may take to arrive once its headers have; read
 *     without holding a request thread, then 408
 * @param maxImagePixels largest image an upload may declare (width x height), checked before it is
 *     decoded; larger ones get 413
 * @param drain how long, at shutdown, readiness reports DOWN while requests are still served, so
 *     load balancers stop sending before the server stops accepting
 * @param batching how samples of concurrent requests are batched together, stage by stage
 * @param repository how the model repository is followed on disk
 * @param grpc the Open Inference Protocol's gRPC service
 * @param verification shadow verification of early answers against the last head, on live traffic
 */
@Validated
@ConfigurationProperties("lctserve")
public record LctServeProperties(
        @NotNull @DefaultValue("models") Path modelRepository,
        @DefaultValue("") String modelName,
        @NotNull @DefaultValue("balanced") String defaultPreset,
        @DecimalMin("0.0") @DecimalMax("1.0") @DefaultValue("0.9") double defaultThreshold,
        @Min(1) @DefaultValue("1") int intraOpThreads,
        @Min(0) @DefaultValue("0") int maxConcurrentInferences,
        @NotNull @DefaultValue("30s") Duration queueTimeout,
        @Min(0) @DefaultValue("0") int maxInFlight,
        @Min(1) @DefaultValue("256") int maxBatch,
        @Min(1024) @DefaultValue("8388608") long maxRequestBytes,
        @NotNull @DefaultValue("32KB") DataSize socketReadBuffer,
        @Min(1) @DefaultValue("16777216") long maxImagePixels,
        @NotNull @DefaultValue("20s") Duration bodyReadTimeout,
        @NotNull @DefaultValue("0s") Duration drain,
        @NotNull @Valid @DefaultValue Batching batching,
        @NotNull @Valid @DefaultValue Repository repository,
        @NotNull @Valid @DefaultValue Grpc grpc,
        @NotNull @Valid @DefaultValue Verification verification) {

    /** How many requests may compute at once: {@code maxConcurrentInferences}, or its automatic value. */
    public int computeSlots() {
        return maxConcurrentInferences > 0
                ? maxConcurrentInferences
                : 2 * Runtime.getRuntime().availableProcessors();
    }

    /** Inference requests one transport works on at once: {@code maxInFlight}, or 3/4 of its request threads. */
    public int maxInFlight(int requestThreads) {
        return maxInFlight > 0 ? maxInFlight : Math.max(1, requestThreads * 3 / 4);
    }

    /**
     * Progressive batching ({@code lctserve.batching.*}): one queue per stage, survivors of many
     * requests merged into each stage's batch. With it on, {@code max-concurrent-inferences} no longer
     * applies: the workers bound the compute.
     *
     * @param enabled batch across requests; off: each request computes alone, behind the compute slots
     * @param maxBatchSize most samples one stage run takes
     * @param maxQueueDelay how long a queue shorter than a batch may wait for more samples; 0 never
     *     waits, so a lone request runs at once
     * @param preferredBatchSizes batch sizes to cut a longer queue into (empty: up to the max)
     * @param workers threads running stages per model; 0: the processors the JVM may use
     * @param inlineWhenIdle a request that finds nothing queued and a worker free runs at once on its
     *     own thread (no hand-over to a worker and back, which costs as much as the model at batch 1)
     * @param defaultPriority the priority of a request that gives none (or 0); lower runs first, so
     *     with the default of 1 a request can only lower its own priority
     * @param models per-model overrides, by model name
     */
    public record Batching(
            @DefaultValue("true") boolean enabled,
            @Min(1) @DefaultValue("32") int maxBatchSize,
            @NotNull @DefaultValue("0ms") Duration maxQueueDelay,
            List<Integer> preferredBatchSizes,
            @Min(0) @DefaultValue("0") int workers,
            @DefaultValue("true") boolean inlineWhenIdle,
            @Min(1) @DefaultValue("1") int defaultPriority,
            Map<String, @Valid ModelBatching> models) {

        public Batching {
            preferredBatchSizes = preferredBatchSizes == null ? List.of() : List.copyOf(preferredBatchSizes);
            models = models == null ? Map.of() : Map.copyOf(models);
        }

        /** The settings for one model: these, with the model's overrides applied. */
        public Batching forModel(String name) {
            ModelBatching o = models.get(name);
            if (o == null) {
                return this;
            }
            return new Batching(
                    o.enabled() != null ? o.enabled() : enabled,
                    o.maxBatchSize() != null ? o.maxBatchSize() : maxBatchSize,
                    o.maxQueueDelay() != null ? o.maxQueueDelay() : maxQueueDelay,
                    o.preferredBatchSizes() != null ? o.preferredBatchSizes() : preferredBatchSizes,
                    o.workers() != null ? o.workers() : workers,
                    inlineWhenIdle,
                    defaultPriority,
                    Map.of());
        }

        /** Worker threads per model: {@code workers}, or its automatic value. */
        public int workerCount() {
            return workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * Following the model repository ({@code lctserve.repository.*}).
     *
     * @param pollInterval how often the folders are compared with what is served; 0 loads them once
     * @param control allow Triton's {@code POST /v2/repository/models/{name}/load|unload}
     */
    public record Repository(
            @NotNull @DefaultValue("5s") Duration pollInterval, @DefaultValue("false") boolean control) {}

    /**
     * The gRPC service ({@code lctserve.grpc.*}): {@code inference.GRPCInferenceService} and
     * {@code grpc.health.v1.Health} on their own port. Requests count against {@code max-in-flight}
     * and {@code max-batch} as HTTP ones do (each transport has its own in-flight count), and a
     * message may be {@code max-request-bytes} long.
     *
     * @param port the port; 0 picks a free one (tests), -1 turns the service off
     */
    public record Grpc(@Min(-1) @DefaultValue("8081") int port) {}

    /**
     * Shadow verification ({@code lctserve.verification.*}): after a preset's early answer has been
     * sent, a share of its samples is run again to the last head at the lowest priority, on the
     * model's batching queues, and whether the answers agreed is counted per preset and exit stage.
     *
     * @param enabled verify at all (needs batching, the default)
     * @param fraction the share of early-exited samples verified
     * @param shiftFraction the share verified after the model's traffic moved (its answers' depth,
     *     {@code io.lctserve.server.model.ExitProfile}), until a window of live samples has been
     *     verified since: the evidence a recalibration needs, in a 25th of the requests the default
     *     fraction would take (never below {@code fraction}; none while {@code fraction} is 0)
     * @param maxOutstanding samples under verification at most; more are dropped (counted), so that
     *     shadow work never piles up under load
     * @param window verified samples per preset the live disagreement rate is taken over, and live
     *     samples kept per model version for recalibration
     * @param recalibrate search a preset's setting again on live traffic when its live rate is above
     *     its calibration, and go back to the manifest's when traffic returns to normal
     * @param fixedPresets models whose presets always keep the manifest's settings
     */
    public record Verification(
            @DefaultValue("true") boolean enabled,
            @DecimalMin("0.0") @DecimalMax("1.0") @DefaultValue("0.01") double fraction,
            @DecimalMin("0.0") @DecimalMax("1.0") @DefaultValue("0.25") double shiftFraction,
            @Min(1) @DefaultValue("64") int maxOutstanding,
            @Min(10) @DefaultValue("2000") int window,
            @DefaultValue("true") boolean recalibrate,
            @DefaultValue List<String> fixedPresets) {

        /** Whether recalibration may change {@code model}'s presets. */
        public boolean recalibrates(String model) {
            return enabled && recalibrate && !fixedPresets.contains(model);
        }

        /** The share verified now: {@code shiftFraction} while evidence since a shift is being gathered, else {@code fraction}. */
        public double fraction(boolean gatheringAfterShift) {
            return gatheringAfterShift && fraction > 0 ? Math.max(fraction, shiftFraction) : fraction;
        }
    }

    /** One model's batching settings; each one left out is the server's. */
    public record ModelBatching(
            Boolean enabled,
            @Min(1) Integer maxBatchSize,
            Duration maxQueueDelay,
            List<Integer> preferredBatchSizes,
            @Min(0) Integer workers) {}
}
