package io.lctserve.bench;

import io.lctserve.core.data.ImageSet;

/**
 * The drifts {@code lctserve-bench drift} sends: every test image changed as a camera, a lens, a
 * light or a sensor would change it, as UINT8 pixels in the test set's own layout.
 */
final class DriftedImages {

    private DriftedImages() {}

    /** Every channel of every image with its contrast scaled by {@code factor} around its mean. */
    static byte[] contrast(ImageSet test, double factor) {
        int plane = test.rows() * test.cols();
        byte[] in = test.pixels();
        byte[] out = new byte[in.length];
        for (int p = 0; p < in.length / plane; p++) {
            double mean = 0;
            for (int i = 0; i < plane; i++) {
                mean += in[p * plane + i] & 0xff;
            }
            mean /= plane;
            for (int i = 0; i < plane; i++) {
                out[p * plane + i] = grey(mean + factor * ((in[p * plane + i] & 0xff) - mean));
            }
        }
        return out;
    }

    /** Every channel of every image through a 3x3 box blur (the mean of the neighbours inside the image). */
    static byte[] blurred(ImageSet test) {
        int rows = test.rows();
        int cols = test.cols();
        int plane = rows * cols;
        byte[] in = test.pixels();
        byte[] out = new byte[in.length];
        for (int p = 0; p < in.length / plane; p++) {
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    int sum = 0;
                    int n = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int yy = y + dy;
                            int xx = x + dx;
                            if (yy >= 0 && yy < rows && xx >= 0 && xx < cols) {
                                sum += in[p * plane + yy * cols + xx] & 0xff;
                                n++;
                            }
                        }
                    }
                    out[p * plane + y * cols + x] = grey(sum / (double) n);
                }
            }
        }
        return out;
    }

    /** Every pixel plus Gaussian noise of standard deviation {@code sd}, from {@code seed}, clipped to 0-255. */
    static byte[] noisy(ImageSet test, double sd, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        byte[] in = test.pixels();
        byte[] out = new byte[in.length];
        for (int i = 0; i < in.length; i++) {
            double u1 = 1 - random.nextDouble(); // (0, 1]
            double gaussian = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random.nextDouble());
            out[i] = grey((in[i] & 0xff) + sd * gaussian);
        }
        return out;
    }

    private static byte grey(double v) {
        return (byte) Math.max(0, Math.min(255, Math.round(v)));
    }

    /** Every test image moved {@code shift} pixels right and down, zeros coming in. */
    static byte[] moved(ImageSet test, int shift) {
        int rows = test.rows();
        int cols = test.cols();
        int plane = rows * cols;
        byte[] out = new byte[test.pixels().length];
        for (int p = 0; p < out.length / plane; p++) { // every channel of every image
            for (int y = shift; y < rows; y++) {
                for (int x = shift; x < cols; x++) {
                    out[p * plane + y * cols + x] = test.pixels()[p * plane + (y - shift) * cols + x - shift];
                }
            }
        }
        return out;
    }
}
