package io.lctserve.server.protocol;

import io.lctserve.core.manifest.TensorSpec;
import io.lctserve.server.inference.InvalidRequestException;
import io.lctserve.server.inference.ModelInput;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the model input tensor of a V2 request into pixels in [0, 1]: FP32 values as they are,
 * UINT8 values divided by 255; {@code data} flat or nested to any depth, row-major, or raw
 * little-endian bytes after the JSON ({@link BinaryTensorRequest}).
 */
public final class TensorDecoder {

    private TensorDecoder() {}

    static final String BINARY_DATA_SIZE = "binary_data_size";

    /**
     * @param binary the bytes after the JSON of a binary tensor data request, or null for plain JSON
     */
    public static ModelInput decode(List<InferRequest.Input> inputs, TensorSpec spec, int maxBatch, ByteBuffer binary) {
        return decode(inputs, spec, maxBatch, binary, "data");
    }

    /**
     * @param dataField what the request calls the tensor's values, for messages ({@code data} in JSON,
     *     {@code contents} in gRPC)
     */
    public static ModelInput decode(
            List<InferRequest.Input> inputs, TensorSpec spec, int maxBatch, ByteBuffer binary, String dataField) {
        InferRequest.Input in = single(inputs, spec);
        Header h = header(in, spec, maxBatch);
        Object binarySize = in.parameters() == null ? null : in.parameters().get(BINARY_DATA_SIZE);
        if (binarySize != null || (binary != null && in.data() == null)) {
            return new ModelInput(binary(in, binarySize, binary, h.uint8(), h.values()), h.shape());
        }
        if (binary != null && binary.hasRemaining()) {
            throw new InvalidRequestException("the body has " + binary.remaining() + " bytes after the JSON but"
                    + " inputs[0] sends its data as JSON; give parameters." + BINARY_DATA_SIZE + " instead of data");
        }
        TensorData data = in.data();
        String field = "inputs[0]." + dataField;
        if (data == null) {
            throw new InvalidRequestException(
                    field + " must be " + ("data".equals(dataField) ? "a JSON array of numbers" : "given"));
        }
        long[] shape = h.shape();
        if (data.nesting().length > 1
                && !Arrays.equals(Arrays.stream(data.nesting()).asLongStream().toArray(), shape)) {
            throw new InvalidRequestException(field + " is nested as " + Arrays.toString(data.nesting())
                    + " but its shape is " + Arrays.toString(shape) + ": send it flat or nested exactly as its shape");
        }
        if (data.count() != h.values()) {
            throw new InvalidRequestException(field + " has " + data.count() + " values but shape "
                    + Arrays.toString(shape) + " needs " + h.values());
        }
        boolean uint8 = h.uint8();
        if (uint8 && data.firstNonInteger() >= 0) {
            int i = data.firstNonInteger();
            throw new InvalidRequestException(
                    "UINT8 value #" + i + " must be an integer in 0..255, was " + format(data.values()[i]));
        }
        float[] pixels = new float[(int) h.values()];
        double[] values = data.values();
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = uint8 ? uint8(values[i], i) : fp32(values[i], i);
        }
        return new ModelInput(pixels, shape);
    }

    /**
     * A tensor whose values came apart from its description, as little-endian bytes (gRPC's
     * {@code raw_input_contents}).
     *
     * @param rawField what the request calls the bytes, for messages
     */
    public static ModelInput decodeRaw(
            List<InferRequest.Input> inputs, TensorSpec spec, int maxBatch, ByteBuffer raw, String rawField) {
        InferRequest.Input in = single(inputs, spec);
        Header h = header(in, spec, maxBatch);
        long bytes = h.values() * (h.uint8() ? 1 : Float.BYTES);
        if (raw.remaining() != bytes) {
            throw new InvalidRequestException(rawField + " has " + raw.remaining() + " bytes but inputs[0] needs "
                    + bytes + " (" + h.values() + " " + in.datatype() + " values of shape " + Arrays.toString(h.shape())
                    + ")");
        }
        return new ModelInput(pixels(raw, h.uint8(), h.values()), h.shape());
    }

    /** @param values how many values the shape holds */
    private record Header(boolean uint8, long[] shape, long values) {}

    private static InferRequest.Input single(List<InferRequest.Input> inputs, TensorSpec spec) {
        if (inputs == null || inputs.size() != 1) {
            throw new InvalidRequestException("expected exactly one input tensor '" + spec.name() + "', got "
                    + (inputs == null ? 0 : inputs.size()));
        }
        InferRequest.Input in = inputs.get(0);
        if (in == null) {
            throw new InvalidRequestException("inputs[0] is null");
        }
        if (in.name() != null && !in.name().equals(spec.name())) {
            throw new InvalidRequestException(
                    "unknown input '" + in.name() + "'; the model's input is '" + spec.name() + "'");
        }
        return in;
    }

    private static Header header(InferRequest.Input in, TensorSpec spec, int maxBatch) {
        boolean uint8;
        if ("FP32".equals(in.datatype())) {
            uint8 = false;
        } else if ("UINT8".equals(in.datatype())) {
            uint8 = true;
        } else {
            throw new InvalidRequestException(
                    "datatype " + (in.datatype() == null ? "missing" : "'" + in.datatype() + "' not supported")
                            + ": use FP32 (pixels in [0, 1]) or UINT8 (0-255)");
        }
        long[] shape = shape(in.shape(), spec);
        if (shape[0] > maxBatch) {
            throw new InvalidRequestException(
                    "batch of " + shape[0] + " exceeds the server's limit of " + maxBatch + " (lctserve.max-batch)");
        }
        return new Header(uint8, shape, shape[0] * spec.elementsPerSample());
    }

    private static float[] binary(InferRequest.Input in, Object size, ByteBuffer binary, boolean uint8, long expected) {
        if (in.data() != null) {
            throw new InvalidRequestException(
                    "inputs[0] has both data and parameters." + BINARY_DATA_SIZE + "; send one of them");
        }
        if (binary == null) {
            throw new InvalidRequestException("inputs[0].parameters." + BINARY_DATA_SIZE + " needs the binary tensor"
                    + " data extension: the JSON request in the first " + "Inference-Header-Content-Length"
                    + " bytes of the body, the tensor bytes after it");
        }
        long bytes = expected * (uint8 ? 1 : Float.BYTES);
        if (!(size instanceof Number n) || n.doubleValue() != bytes) {
            throw new InvalidRequestException("inputs[0].parameters." + BINARY_DATA_SIZE + " must be " + bytes + " ("
                    + expected + " " + (uint8 ? "UINT8" : "FP32") + " values of the shape), was " + size);
        }
        if (binary.remaining() != bytes) {
            throw new InvalidRequestException("the body has " + binary.remaining() + " bytes after the JSON but"
                    + " inputs[0] needs " + bytes + " (parameters." + BINARY_DATA_SIZE + ")");
        }
        return pixels(binary, uint8, expected);
    }

    /** @param bytes little-endian */
    private static float[] pixels(ByteBuffer bytes, boolean uint8, long values) {
        float[] pixels = new float[(int) values];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = uint8 ? (bytes.get(i) & 0xFF) / 255f : fp32(bytes.getFloat(i * Float.BYTES), i);
        }
        return pixels;
    }

    private static long[] shape(List<Number> given, TensorSpec spec) {
        List<Long> expected = spec.shape();
        if (given == null || given.size() != expected.size() || given.contains(null)) {
            throw new InvalidRequestException(
                    "inputs[0].shape " + given + " does not match the model input " + expected + " (batch first)");
        }
        long[] shape = new long[given.size()];
        for (int i = 0; i < shape.length; i++) {
            Number n = given.get(i);
            if (!(n instanceof Integer || n instanceof Long || n instanceof java.math.BigInteger)
                    || n.doubleValue() > Integer.MAX_VALUE) {
                throw new InvalidRequestException(
                        "inputs[0].shape " + given + " must hold whole numbers; dimension " + i + " is " + n);
            }
            shape[i] = n.longValue();
            boolean ok = i == 0 ? shape[i] >= 1 : shape[i] == expected.get(i);
            if (!ok) {
                throw new InvalidRequestException("inputs[0].shape " + given + " does not match the model input "
                        + expected
                        + (i == 0 ? ": batch must be at least 1" : ": dimension " + i + " must be " + expected.get(i)));
            }
        }
        return shape;
    }

    private static float uint8(double v, int index) {
        if (v < 0 || v > 255) {
            throw new InvalidRequestException(
                    "UINT8 value #" + index + " must be an integer in 0..255, was " + format(v));
        }
        return (float) (v / 255.0);
    }

    private static float fp32(double v, int index) {
        if (!Double.isFinite(v)) {
            throw new InvalidRequestException("FP32 value #" + index + " is not finite: " + v);
        }
        if (v < 0 || v > 1) {
            throw new InvalidRequestException("FP32 value #" + index + " is " + format(v)
                    + ": pixels must be scaled to [0, 1] (send UINT8 for 0-255)");
        }
        return (float) v;
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
