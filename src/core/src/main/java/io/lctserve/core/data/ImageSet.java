package io.lctserve.core.data;

import java.util.Arrays;

/**
 * Labelled images held as bytes (0-255), one sample after another, each {@code channels} planes of
 * {@code rows * cols} bytes (channel, row, column: the model input's layout). Pixel values are
 * scaled to [0, 1] only when a batch is built.
 *
 * @param pixels {@code count * channels * rows * cols} bytes
 * @param labels class index per image
 * @param channels 1 (grey) or 3 (RGB planes)
 * @param rows image height
 * @param cols image width
 */
public record ImageSet(byte[] pixels, int[] labels, int channels, int rows, int cols) {

    public ImageSet {
        if (channels < 1 || rows < 1 || cols < 1) {
            throw new IllegalArgumentException(
                    "an image set needs channels, rows and cols >= 1, got " + channels + "x" + rows + "x" + cols);
        }
        if ((long) labels.length * channels * rows * cols != pixels.length) {
            throw new IllegalArgumentException(labels.length + " labels for " + pixels.length + " bytes of " + channels
                    + "x" + rows + "x" + cols + " images");
        }
    }

    /** Grey images, as IDX files hold them. */
    public ImageSet(byte[] pixels, int[] labels, int rows, int cols) {
        this(pixels, labels, 1, rows, cols);
    }

    public int size() {
        return labels.length;
    }

    /** Values per image: {@code channels * rows * cols}. */
    public int pixelsPerImage() {
        return channels * rows * cols;
    }

    /** The model input shape of {@code count} of these images: {@code [count, channels, rows, cols]}. */
    public long[] shape(int count) {
        return new long[] {count, channels, rows, cols};
    }

    /** "3x32x32": channels, rows and columns, for messages. */
    public String describeShape() {
        return channels + "x" + rows + "x" + cols;
    }

    /** Images {@code from} (inclusive) to {@code to} (exclusive) as a new set. */
    public ImageSet slice(int from, int to) {
        int n = pixelsPerImage();
        return new ImageSet(
                Arrays.copyOfRange(pixels, from * n, to * n),
                Arrays.copyOfRange(labels, from, to),
                channels,
                rows,
                cols);
    }

    /** Copies image {@code i} into {@code out} at {@code offset}, scaled to [0, 1]. */
    public void copyScaled(int i, float[] out, int offset) {
        int n = pixelsPerImage();
        for (int p = 0; p < n; p++) {
            out[offset + p] = (pixels[i * n + p] & 0xFF) / 255f;
        }
    }
}
