package io.lctserve.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One output tensor of an answer.
 *
 * @param data flat row-major values: float[], long[], int[] or a list of strings (BYTES); null when
 *     they travel apart from the description as raw bytes (HTTP's binary tensor data extension)
 * @param parameters {@code binary_data_size} for such an output, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OutputTensor(String name, String datatype, long[] shape, Map<String, Object> parameters, Object data) {

    static final String BINARY_DATA_SIZE = "binary_data_size";

    OutputTensor(String name, String datatype, long[] shape, Object data) {
        this(name, datatype, shape, null, data);
    }

    /**
     * The values as the protocol's raw form gives them (gRPC's {@code raw_output_contents}, HTTP's
     * binary outputs): little-endian, BYTES elements each after its 4-byte little-endian length.
     */
    public byte[] raw() {
        ByteBuffer b;
        if (data instanceof float[] v) {
            b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
        } else if (data instanceof long[] v) {
            b = ByteBuffer.allocate(v.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(v);
        } else if (data instanceof int[] v) {
            b = ByteBuffer.allocate(v.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(v);
        } else if (data instanceof List<?> strings) {
            List<byte[]> utf8 = strings.stream()
                    .map(s -> String.valueOf(s).getBytes(StandardCharsets.UTF_8))
                    .toList();
            b = ByteBuffer.allocate(utf8.stream()
                            .mapToInt(s -> Integer.BYTES + s.length)
                            .sum())
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (byte[] s : utf8) {
                b.putInt(s.length).put(s);
            }
        } else {
            throw new IllegalStateException("no raw form for output " + name);
        }
        return b.array();
    }

    /** This output described only, its {@code rawBytes} values sent after the JSON. */
    public OutputTensor described(int rawBytes) {
        return new OutputTensor(name, datatype, shape, Map.of(BINARY_DATA_SIZE, rawBytes), null);
    }
}
