package io.lctserve.core.manifest;

import java.util.List;

/**
 * A graph input or output as the manifest declares it.
 *
 * @param name tensor name inside the ONNX graph
 * @param datatype Open Inference Protocol datatype, {@code FP32} for the model input
 * @param shape dimensions with {@code -1} for the dynamic batch dimension
 */
public record TensorSpec(String name, String datatype, List<Long> shape) {

    public TensorSpec {
        shape = shape == null ? null : List.copyOf(shape);
    }

    /** Number of values per sample: the product of every dimension after the batch one. */
    public long elementsPerSample() {
        long n = 1;
        for (int i = 1; i < shape.size(); i++) {
            n *= shape.get(i);
        }
        return n;
    }
}
