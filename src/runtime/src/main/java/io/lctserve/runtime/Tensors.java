package io.lctserve.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * FP32 tensors for ONNX Runtime, always over direct buffers: ONNX Runtime copies a heap buffer
 * before every run, which costs more than a small model's compute.
 */
public final class Tensors {

    private Tensors() {}

    /** A tensor of {@code values[0 .. length)} in the given shape. */
    public static OnnxTensor fp32(float[] values, int length, long[] shape) throws OrtException {
        FloatBuffer buffer = direct(length);
        buffer.put(values, 0, length).rewind();
        return OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), buffer, shape);
    }

    /** Rows {@code rows[0 .. count)} of {@code tensor} (first dimension), as a new, smaller tensor. */
    public static OnnxTensor gatherRows(OnnxTensor tensor, int[] rows, int count) throws OrtException {
        long[] shape = tensor.getInfo().getShape();
        return gatherRows(tensor.getFloatBuffer(), shape, rows, count, direct(count * rowSize(shape)));
    }

    /**
     * Rows {@code rows[0 .. count)} (first dimension) of a tensor of {@code shape} whose values are
     * {@code all} (read with absolute indices), as a new, smaller tensor over {@code into}: a direct buffer
     * with room for exactly those rows, which must outlive the tensor.
     */
    public static OnnxTensor gatherRows(FloatBuffer all, long[] shape, int[] rows, int count, FloatBuffer into)
            throws OrtException {
        int rowSize = rowSize(shape);
        for (int j = 0; j < count; j++) {
            into.put(all.slice(rows[j] * rowSize, rowSize));
        }
        into.rewind();
        long[] smaller = shape.clone();
        smaller[0] = count;
        return over(into, smaller);
    }

    /**
     * A tensor over {@code values} as they are, without a copy: a direct buffer in native order holding
     * exactly the tensor's values from its position, which must outlive the tensor. As a run's pinned
     * output, ONNX Runtime writes into it.
     */
    public static OnnxTensor over(FloatBuffer values, long[] shape) throws OrtException {
        return OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), values, shape);
    }

    /** Values per row of a tensor of {@code shape}: the product of every dimension but the first. */
    public static int rowSize(long[] shape) {
        int rowSize = 1;
        for (int d = 1; d < shape.length; d++) {
            rowSize *= (int) shape[d];
        }
        return rowSize;
    }

    /**
     * Rows {@code rows[0 .. count)} (first dimension) of a tensor of {@code shape} whose values are
     * {@code all} (read with absolute indices), each copied out into its own array.
     */
    public static List<float[]> rows(FloatBuffer all, long[] shape, int[] rows, int count) {
        int rowSize = rowSize(shape);
        List<float[]> out = new ArrayList<>(count);
        for (int j = 0; j < count; j++) {
            float[] row = new float[rowSize];
            all.get(rows[j] * rowSize, row);
            out.add(row);
        }
        return out;
    }

    /** The shape of one row of {@code tensor}: every dimension but the first. */
    public static long[] rowShape(OnnxTensor tensor) {
        long[] shape = tensor.getInfo().getShape();
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    /** Closes what may be null, ignoring failures: a native tensor that cannot close holds nothing a caller can use. */
    public static void closeQuietly(AutoCloseable resource) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            // nothing left to do
        }
    }
}
