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
        int rowSize = 1;
        for (int d = 1; d < shape.length; d++) {
            rowSize *= (int) shape[d];
        }
        FloatBuffer all = tensor.getFloatBuffer();
        FloatBuffer gathered = direct(count * rowSize);
        for (int j = 0; j < count; j++) {
            gathered.put(all.slice(rows[j] * rowSize, rowSize));
        }
        gathered.rewind();
        long[] smaller = shape.clone();
        smaller[0] = count;
        return OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), gathered, smaller);
    }

    /** Rows of equal size stacked into one tensor of shape {@code [count] + rowShape}. */
    public static OnnxTensor stack(List<float[]> rows, long[] rowShape) throws OrtException {
        int rowSize = rows.get(0).length;
        FloatBuffer buffer = direct(rows.size() * rowSize);
        for (float[] row : rows) {
            buffer.put(row);
        }
        buffer.rewind();
        long[] shape = new long[rowShape.length + 1];
        shape[0] = rows.size();
        System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
        return OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), buffer, shape);
    }

    /** Rows {@code rows[0 .. count)} of {@code tensor} (first dimension), each copied out into its own array. */
    public static List<float[]> rows(OnnxTensor tensor, int[] rows, int count) {
        long[] shape = tensor.getInfo().getShape();
        int rowSize = 1;
        for (int d = 1; d < shape.length; d++) {
            rowSize *= (int) shape[d];
        }
        FloatBuffer all = tensor.getFloatBuffer(); // one copy out of ONNX Runtime for all rows
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
