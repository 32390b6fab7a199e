package io.lctserve.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.lctserve.runtime.batching.BatchScheduler;
import io.lctserve.runtime.batching.BatchingSettings;
import io.lctserve.server.model.LoadedModel;
import java.util.Arrays;
import java.util.List;

/**
 * A model's configuration as Triton's {@code GET /v2/models/{name}/config} gives it, so that a
 * Triton client's {@code get_model_config} can read it: dims without the batch dimension, Triton's
 * {@code TYPE_*} data types, and the dynamic batcher's settings when batching is on.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelConfig(
        String name,
        String platform,
        String backend,
        @JsonProperty("max_batch_size") int maxBatchSize,
        List<Tensor> input,
        List<Tensor> output,
        @JsonProperty("dynamic_batching") DynamicBatching dynamicBatching) {

    /** @param reshape the shape the answer has, without the batch dimension, when it is not {@code dims} */
    public record Tensor(String name, @JsonProperty("data_type") String dataType, List<Long> dims, Reshape reshape) {

        Tensor(String name, String dataType, List<Long> dims) {
            this(name, dataType, dims, null);
        }
    }

    /** Triton's reshape: {@code []} for an output of one value per sample (dims [1], answered as [batch]). */
    public record Reshape(List<Long> shape) {}

    public record DynamicBatching(
            @JsonProperty("preferred_batch_size") List<Integer> preferredBatchSize,
            @JsonProperty("max_queue_delay_microseconds") long maxQueueDelayMicroseconds) {}

    private static final Reshape ONE_PER_SAMPLE = new Reshape(List.of());

    public static ModelConfig of(LoadedModel model, int maxBatch, BatchScheduler scheduler) {
        var in = model.manifest().input();
        long classes = model.classes();
        DynamicBatching batching = null;
        if (scheduler != null) {
            BatchingSettings s = scheduler.settings();
            batching = new DynamicBatching(
                    Arrays.stream(s.preferredBatchSizes()).boxed().toList(),
                    s.maxQueueDelay().toNanos() / 1000);
        }
        return new ModelConfig(
                model.name(),
                "lctserve_staged_onnx",
                "onnxruntime",
                maxBatch,
                List.of(new Tensor(
                        in.name(),
                        "TYPE_" + in.datatype(),
                        in.shape().subList(1, in.shape().size()))),
                List.of(
                        new Tensor(RequestedOutputs.PROBABILITIES, "TYPE_FP32", List.of(classes)),
                        new Tensor(RequestedOutputs.CLASS, "TYPE_INT64", List.of(1L), ONE_PER_SAMPLE),
                        new Tensor(RequestedOutputs.CONFIDENCE, "TYPE_FP32", List.of(1L), ONE_PER_SAMPLE),
                        new Tensor(RequestedOutputs.EXIT_STAGE, "TYPE_INT32", List.of(1L), ONE_PER_SAMPLE)),
                batching);
    }
}
