package io.lctserve.core.data;

import java.util.Arrays;

/**
 * Labelled grey-scale images held as bytes, one sample after another ({@code rows * cols} bytes
 * each). Pixel values are scaled to [0, 1] only when a batch is built.
 *
 * @param pixels {@code count * rows * cols} bytes, row-major per image
 * @param labels class index per image
 * @param rows image height
 * @param cols image width
 */
public record ImageSet(byte[] pixels, int[] labels, int rows, int cols) {

    public int size() {
        return labels.length;
    }

    public int pixelsPerImage() {
        return rows * cols;
    }

    /** Images {@code from} (inclusive) to {@code to} (exclusive) as a new set. */
    public ImageSet slice(int from, int to) {
        int n = pixelsPerImage();
        return new ImageSet(
                Arrays.copyOfRange(pixels, from * n, to * n), Arrays.copyOfRange(labels, from, to), rows, cols);
    }

    /** Copies image {@code i} into {@code out} at {@code offset}, scaled to [0, 1]. */
    public void copyScaled(int i, float[] out, int offset) {
        int n = pixelsPerImage();
        for (int p = 0; p < n; p++) {
            out[offset + p] = (pixels[i * n + p] & 0xFF) / 255f;
        }
    }
}
